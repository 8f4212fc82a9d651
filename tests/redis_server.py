"""A throwaway Redis server on a loopback port, from Debian's redis-server package.

`make test` installs the package when it is missing; if it is still missing here the tests
that need Redis fail loudly instead of skipping."""

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from llmforge.core.redis import connect
from llmforge.settings import Settings
from tests.pg import free_port

REDIS_SERVER = "/usr/bin/redis-server"


@dataclass
class RedisServer:
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not Path(REDIS_SERVER).exists():
            raise RuntimeError(
                f"{REDIS_SERVER} not found. Install it with `make deps-system` "
                "(apt-get install redis-server)."
            )
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=(self.root / "log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"Redis did not start; see {self.root / 'log'}")

    def restart(self) -> None:
        """Stop the server and start it again on the same port (it keeps no data)."""
        self.stop_server()
        self.start()

    def stop(self) -> None:
        self.stop_server()
        shutil.rmtree(self.root, ignore_errors=True)

    def stop_server(self) -> None:
        """Stop the server; `start` brings it back on the same port."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_redis() -> RedisServer:
    server = RedisServer(root=Path(tempfile.mkdtemp(prefix="llmforge-redis-")), port=free_port())
    server.start()
    return server


@asynccontextmanager
async def silent_redis() -> AsyncIterator[Redis]:
    """A client, configured as llmforge's, of a "Redis" that accepts connections, reads every
    command and answers none (a hung server, a black-holed network)."""

    async def swallow(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read()

    silent = await asyncio.start_server(swallow, "127.0.0.1", 0)
    redis = connect(Settings(redis_url=f"redis://127.0.0.1:{silent.sockets[0].getsockname()[1]}/0"))
    assert redis is not None
    try:
        yield redis
    finally:
        silent.close()
