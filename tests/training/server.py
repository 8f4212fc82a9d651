"""A real `llmforge serve` process for training tests that must kill or restart the server
(and for the browser test): SQLite in a temporary data dir, the real llamafactory-cli, one CPU
slot; `seed` adds the tiny base model and an alpaca dataset of the admin's."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from llmforge.base_models.models import BaseModel
from llmforge.datasets import formats
from llmforge.datasets.models import Dataset
from llmforge.training.models import TrainingJob
from llmforge.users.models import User
from tests.llamafactory_env import llamafactory_cli, tiny_model_path
from tests.pg import free_port
from tests.training.helpers import alpaca_records

ADMIN = ("admin@example.com", "admin password 1")


class Server:
    def __init__(self, data_dir: Path, **settings: str) -> None:
        self.data_dir = data_dir
        self.settings = settings
        """More LLMFORGE_* variables, e.g. TRAINING_IN_PROCESS_SCHEDULER="false"."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LLMFORGE_DATA_DIR": str(self.data_dir),
            "LLMFORGE_ADMIN_EMAIL": ADMIN[0],
            "LLMFORGE_ADMIN_PASSWORD": ADMIN[1],
            "LLMFORGE_PUBLIC_URL": self.url,
            "LLMFORGE_LLAMAFACTORY_CLI": str(llamafactory_cli()),
            "LLMFORGE_TRAINING_GPUS": "none",
            "LLMFORGE_TRAINING_POLL_SECONDS": "0.25",
            "LLMFORGE_TRAINING_HEARTBEAT_SECONDS": "1",
            **{f"LLMFORGE_{name.upper()}": value for name, value in self.settings.items()},
        }

    def start(self) -> None:
        env = self.env()
        env.pop("LLMFORGE_DATABASE_URL", None)
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llmforge", "serve", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.data_dir / "server.log").read_text()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError("llmforge serve did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @contextlib.contextmanager
    def client(self) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            token = http.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
            http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            yield http


def database(server: Server) -> Session:
    return Session(create_engine(f"sqlite:///{server.data_dir / 'llmforge.db'}"))


def jobs_in(server: Server) -> list[TrainingJob]:
    with database(server) as session:
        return list(session.scalars(select(TrainingJob)))


def seed(server: Server) -> dict[str, int]:
    """The tiny base model and an alpaca dataset of the admin's, as the other modules store
    them."""
    relative = "datasets/restart"
    directory = server.data_dir / relative
    directory.mkdir(parents=True)
    records = [formats.normalize(r, "alpaca", False) for r in alpaca_records()]
    (directory / "train.jsonl").write_text(
        "".join(f"{__import__('json').dumps(r)}\n" for r in records)
    )
    with database(server) as session, session.begin():
        admin = session.scalar(select(User).where(User.email == ADMIN[0]))
        assert admin is not None
        base = BaseModel(name="tiny", path=str(tiny_model_path()), template="smollm2")
        dataset = Dataset(
            user_id=admin.id,
            name="restart",
            format="alpaca",
            record_count=len(records),
            train_count=len(records),
            sha256="0" * 64,
            storage_dir=relative,
        )
        session.add_all([base, dataset])
        session.flush()
        return {"base_model_id": base.id, "dataset_id": dataset.id}
