"""Statistics and lint of a validated dataset: token lengths (a base model's tokenizer.json when
given, else the o200k estimate), records over the cutoff, empty answers, duplicates and turns
that LLaMA-Factory would skip because roles do not alternate. Blocking (CPU-bound)."""

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmforge.datasets import formats
from llmforge.llm.tokens import ENCODING, count_tokens

Counter = Callable[[list[str]], list[int]]
LINT_LINES = 20
"""Line numbers kept per lint finding."""
BINS = 20


@dataclass(frozen=True)
class Tokenizer:
    label: str
    count: Counter


def estimate_tokenizer() -> Tokenizer:
    return Tokenizer(f"estimate ({ENCODING})", lambda texts: [count_tokens(t) for t in texts])


def file_tokenizer(path: Path) -> Tokenizer:
    """A base model's tokenizer.json through the `tokenizers` package (no special tokens)."""
    from tokenizers import Tokenizer as HFTokenizer  # type: ignore[import-untyped]

    tokenizer = HFTokenizer.from_file(str(path))

    def count(texts: list[str]) -> list[int]:
        encoded = tokenizer.encode_batch(texts, add_special_tokens=False)
        return [len(item.ids) for item in encoded]

    return Tokenizer(f"{path.parent.name}/{path.name}", count)


@dataclass
class Finding:
    count: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < LINT_LINES:
            self.lines.append(line)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "lines": self.lines}


def _texts(conv: formats.Conversation) -> list[str]:
    texts = [conv.system, *(text for _, text in conv.turns)]
    return texts + [t for t in (conv.chosen, conv.rejected) if t is not None]


def _empty_answer(conv: formats.Conversation) -> bool:
    answers = [text for role, text in conv.turns if role == "assistant"]
    answers += [t for t in (conv.chosen, conv.rejected) if t is not None]
    return any(not text.strip() for text in answers)


def _percentile(ordered: Sequence[int], share: float) -> int:
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] if ordered else 0


def histogram(lengths: Sequence[int]) -> list[dict[str, int]]:
    """At most BINS equal-width bins [start, end) covering 0..max."""
    if not lengths:
        return []
    width = max(1, math.ceil((max(lengths) + 1) / BINS))
    counts = [0] * math.ceil((max(lengths) + 1) / width)
    for length in lengths:
        counts[length // width] += 1
    return [
        {"start": index * width, "end": (index + 1) * width, "count": count}
        for index, count in enumerate(counts)
    ]


def over_cutoff(lengths: Sequence[int], lines: Sequence[int], cutoff_len: int) -> Finding:
    finding = Finding()
    for length, line in zip(lengths, lines, strict=True):
        if length > cutoff_len:
            finding.add(line)
    return finding


def token_summary(lengths: Sequence[int]) -> dict[str, Any]:
    ordered = sorted(lengths)
    return {
        "min": ordered[0] if ordered else 0,
        "max": ordered[-1] if ordered else 0,
        "mean": round(sum(ordered) / len(ordered), 2) if ordered else 0.0,
        "p50": _percentile(ordered, 0.5),
        "p95": _percentile(ordered, 0.95),
        "total": sum(ordered),
    }


def measure(
    records: Sequence[tuple[int, dict[str, Any]]], fmt: formats.Format, tokenizer: Tokenizer
) -> tuple[list[int], dict[str, Finding], list[int]]:
    """Token length of every record, and the lint findings other than the cutoff."""
    findings = {name: Finding() for name in ("empty_answer", "duplicate", "broken_alternation")}
    seen: set[bytes] = set()
    lengths: list[int] = []
    turns: list[int] = []
    for line, record in records:
        conv = formats.conversation(record, fmt)
        lengths.append(sum(tokenizer.count(_texts(conv))))
        turns.append(len(conv.turns))
        if _empty_answer(conv):
            findings["empty_answer"].add(line)
        if not formats.alternates(conv):
            findings["broken_alternation"].add(line)
        digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest()
        if digest in seen:
            findings["duplicate"].add(line)
        seen.add(digest)
    return lengths, findings, turns


def summarize(
    lengths: Sequence[int],
    lines: Sequence[int],
    findings: dict[str, Finding],
    turns: Sequence[int],
    tokenizer_label: str,
    cutoff_len: int,
) -> dict[str, Any]:
    lint = findings | {"over_cutoff": over_cutoff(lengths, lines, cutoff_len)}
    return {
        "tokenizer": tokenizer_label,
        "tokens": token_summary(lengths),
        "histogram": histogram(lengths),
        "cutoff_len": cutoff_len,
        "mean_turns": round(sum(turns) / len(turns), 2) if turns else 0.0,
        "lint": {name: finding.as_dict() for name, finding in sorted(lint.items())},
    }
