"""An answer (a chat message or a comparison lane) is `streaming` from its placeholder until
the process streaming it saves it, and names that process in `streamed_by`. A process that
dies (killed, its host lost) never saves it.

The embedded server is the only process, so at start-up every answer still streaming was its
own and is marked interrupted (`bootstrap.recover_interrupted_work`). With several processes
(a deployment with Redis) that would interrupt the answers other hosts are streaming; there,
each process writes its row in `server_processes` every `interval` seconds, and marks as
interrupted the answers of processes that have not written theirs for `STALE_AFTER_BEATS`
intervals."""

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.chat.service import mark_abandoned_streams
from llmforge.compare.service import mark_abandoned_lanes
from llmforge.db import transaction, utcnow
from llmforge.liveness.models import ServerProcess

logger = logging.getLogger("llmforge.liveness")
STALE_AFTER_BEATS = 3
FORGOTTEN_AFTER = timedelta(days=1)
_PROCESS_IDS: dict[int, str] = {}


def this_process() -> str:
    """This process's id, new in every process (a forked worker gets its own)."""
    return _PROCESS_IDS.setdefault(os.getpid(), uuid4().hex)


def _alive_since(cutoff: datetime) -> Select[str]:
    return select(ServerProcess.id).where(ServerProcess.alive_at >= cutoff)


async def beat(session: AsyncSession, now: datetime) -> None:
    row = await session.get(ServerProcess, this_process())
    if row is None:
        session.add(ServerProcess(id=this_process(), host=socket.gethostname(), pid=os.getpid()))
    else:
        row.alive_at = now


async def interrupt_lost_answers(session: AsyncSession, now: datetime, interval: float) -> int:
    """Mark the answers of processes silent for STALE_AFTER_BEATS intervals as interrupted."""
    alive = _alive_since(now - timedelta(seconds=interval * STALE_AFTER_BEATS))
    lost = await mark_abandoned_streams(session, alive) + await mark_abandoned_lanes(session, alive)
    forgotten = ServerProcess.alive_at < now - FORGOTTEN_AFTER
    await session.execute(delete(ServerProcess).where(forgotten))
    return lost


class Heartbeat:
    def __init__(self, factory: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._factory = factory
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """This process is vouched for before it serves its first request."""
        await self._tick()
        self._task = asyncio.create_task(self._run(), name="liveness-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._tick()
            except Exception:  # the database restarting: try again at the next beat
                logger.warning("heartbeat failed", exc_info=True)

    async def _tick(self) -> None:
        now = utcnow()
        async with transaction(self._factory) as session:
            await beat(session, now)
            lost = await interrupt_lost_answers(session, now, self._interval)
        if lost:
            logger.warning("marked %d answer(s) of a lost server process as interrupted", lost)
