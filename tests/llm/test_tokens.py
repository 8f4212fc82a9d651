"""Token estimates: short texts are counted on the event loop, long ones in a worker thread."""

import threading

import pytest

from llmforge.llm.base import ChatMessage
from llmforge.llm.tokens import (
    INLINE_CHARACTERS,
    MESSAGE_OVERHEAD,
    REPLY_OVERHEAD,
    count_tokens,
    estimate_usage,
    off_the_loop_if_long,
)

pytestmark = pytest.mark.anyio


async def test_a_short_count_stays_on_the_loop_and_a_long_one_goes_to_a_thread() -> None:
    loop_thread = threading.get_ident()
    assert await off_the_loop_if_long(INLINE_CHARACTERS, threading.get_ident) == loop_thread
    assert await off_the_loop_if_long(INLINE_CHARACTERS + 1, threading.get_ident) != loop_thread


@pytest.mark.parametrize("words", [3, 2_000], ids=["on the loop", "in a thread"])
async def test_estimates_are_the_same_counts_wherever_they_are_made(words: int) -> None:
    question, answer = "hello " * words, "fine thanks"
    usage = await estimate_usage([ChatMessage(role="user", content=question)], answer)
    assert usage.input_tokens == MESSAGE_OVERHEAD + count_tokens(question) + REPLY_OVERHEAD
    assert usage.output_tokens == count_tokens(answer) == 2
    assert usage.estimated
