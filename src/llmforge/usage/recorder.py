"""Usage rows are written off the hot path: calls hand an entry to the recorder, which inserts
them in batches from a background task (every half second, or sooner when many are waiting)."""

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.db import utcnow, write_transaction
from llmforge.usage.models import UsageRecord, UsageSource

logger = logging.getLogger("llmforge.usage")


@dataclass(frozen=True)
class UsageEntry:
    user_id: int | None
    model_id: int | None
    model_name: str
    provider_id: int | None
    provider_name: str
    source: UsageSource
    input_tokens: int
    output_tokens: int
    estimated: bool
    cost: Decimal
    latency_ms: float | None
    ttft_ms: float | None
    status: str


class UsageRecorder:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        *,
        interval: float = 0.5,
        batch_size: int = 200,
    ) -> None:
        self._factory = factory
        self._interval = interval
        self._batch_size = batch_size
        self._pending: list[UsageEntry] = []
        self._writing: list[UsageEntry] = []
        self._wake = asyncio.Event()
        # one write at a time, so that a flush returns only once every entry recorded before
        # it is in the database, including those a flush already under way had taken
        self._flushing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def record(self, entry: UsageEntry) -> None:
        """Never blocks and never touches the database."""
        self._pending.append(entry)
        if len(self._pending) >= self._batch_size:
            self._wake.set()

    def unwritten(self, user_id: int) -> tuple[int, Decimal]:
        """Tokens and cost of this user's calls not yet in the database (for quota checks)."""
        entries = [e for e in (*self._writing, *self._pending) if e.user_id == user_id]
        return (
            sum(e.input_tokens + e.output_tokens for e in entries),
            sum((e.cost for e in entries), Decimal(0)),
        )

    async def flush(self) -> int:
        async with self._flushing:
            batch, self._pending = self._pending, []
            if not batch:
                return 0
            self._writing = batch
            try:
                await self._insert(batch)
            except Exception:
                logger.exception("could not write %d usage rows; keeping them", len(batch))
                self._pending[:0] = batch
                return 0
            finally:
                self._writing = []
            return len(batch)

    async def _insert(self, entries: Iterable[UsageEntry]) -> None:
        now = utcnow()
        # the fields are flat values: a shallow copy (asdict copies deeply, several times slower)
        rows = [{**vars(entry), "created_at": now} for entry in entries]
        async with write_transaction(self._factory) as session:
            await session.execute(insert(UsageRecord), rows)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="usage-recorder")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
