"""A model's stream started ahead of its reader: the first event is awaited in a task of its own
while the caller does other work (a chat turn stores the question meanwhile), so that the model's
time to first token and that work overlap instead of adding up."""

import asyncio
from collections.abc import AsyncGenerator

from llmforge.llm.base import Event


async def _first_of(events: AsyncGenerator[Event, None]) -> Event | None:
    return await anext(events, None)


class Prefetched:
    """The events of `events`, whose request is under way from construction on. Close it
    (`aclose`) whether or not it was read: that also stops a call still waiting for its first
    event."""

    def __init__(self, events: AsyncGenerator[Event, None]) -> None:
        self._events = events
        self._first: asyncio.Task[Event | None] | None = asyncio.create_task(_first_of(events))

    def __aiter__(self) -> "Prefetched":
        return self

    async def __anext__(self) -> Event:
        if self._first is None:
            return await anext(self._events)
        first = await self._first
        self._first = None
        if first is None:
            raise StopAsyncIteration
        return first

    async def aclose(self) -> None:
        if self._first is not None:  # nobody waits for it any more
            self._first.cancel()
            await asyncio.wait([self._first])
            if not self._first.cancelled():
                self._first.exception()  # a failure nobody will read: marked as seen
            self._first = None
        await self._events.aclose()
