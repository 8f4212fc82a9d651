"""Token estimates for providers that send no usage: the o200k_base BPE ranks that ship inside
the `bpe-openai` wheel (no download at run time). Counts are exact for recent OpenAI models and
an estimate for every other model; results built from them carry `estimated=True`."""

import warnings
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

import anyio

from llmforge.llm.base import ChatMessage, Usage

ENCODING = "o200k_base"
MESSAGE_OVERHEAD = 4
REPLY_OVERHEAD = 3
_SLICE = 200_000
INLINE_CHARACTERS = 2_000
"""Up to this much text is counted on the event loop: about 0.1 ms. Handing it to a thread cost
more even on an idle server (0.25 ms), and up to the GIL's 5 ms switch interval on a busy one,
where the thread waits for the loop to let go; a chat turn counts its context before its first
token."""
T = TypeVar("T")


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
    """Blocking (CPU-bound): call through `off_the_loop_if_long` from async code."""
    encoding = _encoding()
    return sum(
        len(encoding.encode_ordinary(text[start : start + _SLICE]))
        for start in range(0, len(text), _SLICE)
    )


def _count_usage(messages: Iterable[ChatMessage], output: str) -> Usage:
    prompt = sum(MESSAGE_OVERHEAD + count_tokens(m.content) for m in messages)
    return Usage(prompt + REPLY_OVERHEAD, count_tokens(output), estimated=True)


async def off_the_loop_if_long(characters: int, count: Callable[[], T]) -> T:
    """`count()`, in a worker thread when it has more than INLINE_CHARACTERS to count."""
    if characters <= INLINE_CHARACTERS:
        return count()
    return await anyio.to_thread.run_sync(count)


async def estimate_usage(messages: Iterable[ChatMessage], output: str) -> Usage:
    messages = tuple(messages)
    characters = len(output) + sum(len(message.content) for message in messages)
    return await off_the_loop_if_long(characters, lambda: _count_usage(messages, output))


async def estimate_input_tokens(inputs: list[str]) -> Usage:
    characters = sum(map(len, inputs))
    total = await off_the_loop_if_long(characters, lambda: sum(map(count_tokens, inputs)))
    return Usage(total, 0, estimated=True)
