"""Scorers: pure functions from (answer, reference) to a Score, and the LLM-as-judge prompt and
reply parser. Nothing here does I/O.

- exact: the answer equals the reference; with `normalize` (default) case and runs of
  whitespace are ignored, and so is surrounding whitespace.
- contains: the reference occurs in the answer (same normalisation).
- regex: `re.search(pattern, answer)`. Guarded: patterns are at most 500 characters, patterns
  with a repeated group that itself holds an unbounded repeat (`(a+)+`, `(\\w*\\s?)*`, the
  shapes that backtrack exponentially) are refused when the run is created, and the match looks
  at the first 20,000 characters of the answer only.
- similarity: difflib's `SequenceMatcher.ratio()` over the lower-cased word tokens of answer and
  reference (2·matches / total tokens, 0..1), each cut to its first 5,000 tokens; passed when the
  ratio reaches the threshold.
- judge: the judge model is asked for `{"score": 1-5, "reason": "..."}`; `parse_judge_reply`
  finds that object in whatever came back (code fences, prose around it) and otherwise gives a
  null score with the raw reply as the reason.
"""

import difflib
import json
import re
import warnings
from dataclasses import asdict, dataclass
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants
    import sre_parse

MAX_PATTERN_CHARS = 500
MAX_REGEX_INPUT_CHARS = 20_000
MAX_SIMILARITY_TOKENS = 5_000
MAX_REASON_CHARS = 4_000
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Score:
    score: float | None
    passed: bool | None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip().casefold()


def _no_reference() -> Score:
    return Score(None, None, "the row has no reference answer")


def _verdict(passed: bool) -> Score:
    return Score(1.0 if passed else 0.0, passed)


def exact_match(answer: str, reference: str | None, *, normalized: bool = True) -> Score:
    if reference is None:
        return _no_reference()
    if normalized:
        return _verdict(normalize(answer) == normalize(reference))
    return _verdict(answer == reference)


def contains(answer: str, reference: str | None, *, normalized: bool = True) -> Score:
    if reference is None:
        return _no_reference()
    if normalized:
        return _verdict(normalize(reference) in normalize(answer))
    return _verdict(reference in answer)


# -- regex ------------------------------------------------------------------------------------

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_POSSESSIVE = getattr(sre_constants, "POSSESSIVE_REPEAT", None)
if _POSSESSIVE is not None:
    _REPEATS.add(_POSSESSIVE)


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of one parsed node."""
    if op in _REPEATS:
        return [av[2]]
    if op == sre_constants.SUBPATTERN:
        return [av[-1]]
    if op == sre_constants.BRANCH:
        return list(av[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [av[1]]
    if op == getattr(sre_constants, "ATOMIC_GROUP", None):
        return [av]
    if op == sre_constants.GROUPREF_EXISTS:
        return [branch for branch in av[1:] if branch is not None]
    return []


def _has_unbounded_repeat(pattern: Any) -> bool:
    for op, av in pattern:
        if op in _REPEATS and av[1] == sre_constants.MAXREPEAT:
            return True
        if any(_has_unbounded_repeat(child) for child in _children(op, av)):
            return True
    return False


def _has_nested_repeat(pattern: Any) -> bool:
    for op, av in pattern:
        if op in _REPEATS and av[1] > 1 and _has_unbounded_repeat(av[2]):
            return True
        if any(_has_nested_repeat(child) for child in _children(op, av)):
            return True
    return False


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a user's pattern or raise ValueError saying why it is refused."""
    if not pattern:
        raise ValueError("the pattern is empty")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"the pattern is longer than {MAX_PATTERN_CHARS} characters")
    flags = re.IGNORECASE if ignore_case else 0
    try:
        compiled = re.compile(pattern, flags)
        parsed = sre_parse.parse(pattern, flags)
    except re.error as exc:
        raise ValueError(f"the pattern is not a valid regular expression: {exc}") from None
    if _has_nested_repeat(parsed):
        raise ValueError(
            "the pattern repeats a group that itself repeats without limit (like (a+)+), "
            "which can take exponential time; rewrite it without the nested repetition"
        )
    return compiled


def regex_match(answer: str, pattern: re.Pattern[str]) -> Score:
    return _verdict(pattern.search(answer[:MAX_REGEX_INPUT_CHARS]) is not None)


# -- similarity -------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.casefold())[:MAX_SIMILARITY_TOKENS]


def similarity_ratio(answer: str, reference: str) -> float:
    left, right = tokens(answer), tokens(reference)
    if not left and not right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def similarity(answer: str, reference: str | None, *, threshold: float) -> Score:
    """Blocking for long texts (difflib is quadratic in the worst case): run in a thread."""
    if reference is None:
        return _no_reference()
    ratio = round(similarity_ratio(answer, reference), 4)
    return Score(ratio, ratio >= threshold)


# -- LLM as judge -----------------------------------------------------------------------------

JUDGE_SYSTEM_PROMPT = (
    "You are a strict, fair evaluator of answers written by an AI assistant. Grade the answer "
    "against the rubric and, when given, the reference answer. Reply with one JSON object and "
    'nothing else: {"score": <integer 1-5, 5 is best>, "reason": "<one or two sentences>"}.'
)


def judge_prompt(*, rubric: str, question: str, reference: str | None, answer: str) -> str:
    parts = [
        f"## Rubric\n{rubric}",
        f"## Question\n{question}",
        f"## Reference answer\n{reference}" if reference is not None else "",
        f"## Answer to grade\n{answer}",
        'Reply with JSON only: {"score": 1-5, "reason": "..."}',
    ]
    return "\n\n".join(part for part in parts if part)


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def _objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object found in the text, outermost first."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    candidates = [text, *(match.group(1) for match in _FENCE.finditer(text))]
    for candidate in candidates:
        index = candidate.find("{")
        while index != -1:
            try:
                value, end = decoder.raw_decode(candidate, index)
            except json.JSONDecodeError:
                index = candidate.find("{", index + 1)
                continue
            if isinstance(value, dict):
                found.append(value)
            index = candidate.find("{", end)
    return found


def _as_score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        try:
            value = float(value.split("/")[0])
        except ValueError:
            return None
    if isinstance(value, int | float) and float(value).is_integer() and 1 <= value <= 5:
        return int(value)
    return None


def parse_judge_reply(text: str) -> Score:
    """{"score": 1-5, "reason": "..."} from the judge's reply; a null score and the raw reply
    as the reason when no such object is in it."""
    for value in _objects(text):
        lowered = {str(key).lower(): item for key, item in value.items()}
        score = _as_score(lowered.get("score"))
        if score is not None:
            reason = lowered.get("reason")
            reason_text = reason if isinstance(reason, str) else json.dumps(reason)
            return Score(float(score), None, reason_text[:MAX_REASON_CHARS])
    raw = text.strip() or "(the judge replied with nothing)"
    return Score(None, None, raw[:MAX_REASON_CHARS])
