"""`llmforge worker`: the training scheduler in a process of its own, until SIGINT or SIGTERM.
The training processes it started keep running when it stops; the next worker on this host
adopts them."""

import asyncio
import signal

from llmforge.core.security import SecretBox
from llmforge.db import create_engine, create_session_factory
from llmforge.settings import Settings
from llmforge.training.scheduler import create_scheduler


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    engine = create_engine(settings.resolved_database_url)
    scheduler = create_scheduler(
        settings, SecretBox(settings.secrets["encryption_key"]), create_session_factory(engine)
    )
    scheduler.start()
    try:
        await stop.wait()
    finally:
        await scheduler.stop()
        await engine.dispose()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
