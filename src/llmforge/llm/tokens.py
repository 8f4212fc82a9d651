"""Token estimates for providers that send no usage: the o200k_base BPE ranks that ship inside
the `bpe-openai` wheel (no download at run time). Counts are exact for recent OpenAI models and
an estimate for every other model; results built from them carry `estimated=True`."""

import warnings
from collections.abc import Iterable
from functools import cache
from typing import Any

import anyio

from llmforge.llm.base import ChatMessage, Usage

ENCODING = "o200k_base"
MESSAGE_OVERHEAD = 4
REPLY_OVERHEAD = 3
_SLICE = 200_000


@cache
def _encoding() -> Any:
    """Loaded on first use (about a second), not at import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai  # type: ignore[import-untyped]

        return bpe_openai.get_encoding(ENCODING)


async def warm_up() -> None:
    """Load the ranks ahead of the first estimate (the app does it at start-up), so that saving
    an interrupted answer never waits a second for them."""
    await anyio.to_thread.run_sync(_encoding)


def count_tokens(text: str) -> int:
    """Blocking (CPU-bound): call through `anyio.to_thread` from async code."""
    encoding = _encoding()
    return sum(
        len(encoding.encode_ordinary(text[start : start + _SLICE]))
        for start in range(0, len(text), _SLICE)
    )


def _count_usage(messages: Iterable[ChatMessage], output: str) -> Usage:
    prompt = sum(MESSAGE_OVERHEAD + count_tokens(m.content) for m in messages)
    return Usage(prompt + REPLY_OVERHEAD, count_tokens(output), estimated=True)


async def estimate_usage(messages: Iterable[ChatMessage], output: str) -> Usage:
    return await anyio.to_thread.run_sync(_count_usage, tuple(messages), output)


async def estimate_input_tokens(inputs: list[str]) -> Usage:
    total = await anyio.to_thread.run_sync(lambda: sum(count_tokens(t) for t in inputs))
    return Usage(total, 0, estimated=True)
