"""A stream started ahead: its events arrive whole and in order, and closing it stops a call
that is still waiting for its first event."""

import asyncio
from collections.abc import AsyncGenerator

import pytest

from llmforge.llm.base import ContentDelta, Event
from llmforge.llm.prefetch import Prefetched

pytestmark = pytest.mark.anyio


async def _events(
    texts: list[str], started: asyncio.Event, closed: list[bool], first_after: float = 0
) -> AsyncGenerator[Event, None]:
    started.set()
    try:
        await asyncio.sleep(first_after)
        for text in texts:
            yield ContentDelta(text)
    finally:
        closed.append(True)


async def test_the_call_starts_before_it_is_read_and_every_event_arrives() -> None:
    started, closed = asyncio.Event(), []
    upstream = Prefetched(_events(["a", "b", "c"], started, closed))
    await asyncio.wait_for(started.wait(), 1)  # under way without a reader
    assert [event async for event in upstream] == [
        ContentDelta("a"),
        ContentDelta("b"),
        ContentDelta("c"),
    ]
    await upstream.aclose()
    assert closed == [True]


async def test_an_empty_stream_ends_at_once() -> None:
    upstream = Prefetched(_events([], asyncio.Event(), []))
    assert [event async for event in upstream] == []
    await upstream.aclose()


async def test_closing_stops_a_call_still_waiting_for_its_first_event() -> None:
    started, closed = asyncio.Event(), []
    upstream = Prefetched(_events(["late"], started, closed, first_after=60))
    await started.wait()
    await asyncio.wait_for(upstream.aclose(), 1)
    assert closed == [True]


async def test_a_failure_before_the_first_event_reaches_the_reader() -> None:
    async def failing() -> AsyncGenerator[Event, None]:
        raise ConnectionError("refused")
        yield ContentDelta("never")

    upstream = Prefetched(failing())
    with pytest.raises(ConnectionError, match="refused"):
        await anext(upstream)
    await upstream.aclose()
