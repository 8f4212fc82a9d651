import asyncio
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from llmforge.db import create_engine, create_session_factory
from llmforge.migrate import upgrade
from llmforge.settings import Settings
from llmforge.usage.models import UsageRecord, UsageSource
from llmforge.usage.recorder import UsageEntry, UsageRecorder


def entry(user_id: int, tokens: int) -> UsageEntry:
    return UsageEntry(
        user_id=user_id,
        model_id=1,
        model_name="m",
        provider_id=1,
        provider_name="p",
        source=UsageSource.chat,
        input_tokens=tokens,
        output_tokens=1,
        estimated=False,
        cost=Decimal("0.5"),
        latency_ms=1.0,
        ttft_ms=0.5,
        status="complete",
    )


def test_rows_survive_a_failed_write_and_count_for_quotas(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]

    async def scenario() -> int:
        engine = create_engine(settings.resolved_database_url)
        recorder = UsageRecorder(create_session_factory(engine), interval=60)
        recorder.record(entry(7, 10))
        recorder.record(entry(8, 99))
        assert await recorder.flush() == 0  # no tables yet: the write fails
        assert recorder.unwritten(7) == (11, Decimal("0.5"))
        await asyncio.to_thread(upgrade, settings)
        recorder.start()
        recorder.record(entry(7, 5))
        await recorder.stop()  # flushes what is left
        assert recorder.unwritten(7) == (0, Decimal(0))
        async with create_session_factory(engine)() as session:
            count = await session.scalar(select(func.count()).select_from(UsageRecord))
        await engine.dispose()
        return int(count or 0)

    assert asyncio.run(scenario()) == 3


class GatedRecorder(UsageRecorder):
    """Holds its first write until the test opens the gate."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.writing = asyncio.Event()
        self.gate = asyncio.Event()

    async def _insert(self, entries) -> None:  # type: ignore[no-untyped-def]
        self.writing.set()
        await self.gate.wait()
        await super()._insert(entries)


def test_a_flush_returns_only_once_a_write_already_under_way_has_landed(tmp_path: Path) -> None:
    # the background task may have taken the pending rows just before a caller flushes: the
    # caller's flush must still wait for them (a test read usage right after, and found none)
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    upgrade(settings)

    async def scenario() -> tuple[int, int]:
        engine = create_engine(settings.resolved_database_url)
        factory = create_session_factory(engine)
        recorder = GatedRecorder(factory, interval=60)
        recorder.record(entry(7, 10))
        under_way = asyncio.create_task(recorder.flush())
        await recorder.writing.wait()
        caller = asyncio.create_task(recorder.flush())
        await asyncio.sleep(0.05)
        assert not caller.done()
        recorder.gate.set()
        await caller
        async with factory() as session:
            count = await session.scalar(select(func.count()).select_from(UsageRecord))
        written = await under_way
        await engine.dispose()
        return int(count or 0), written

    assert asyncio.run(scenario()) == (1, 1)
