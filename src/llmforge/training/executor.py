"""The local executor: `llamafactory-cli train job.yaml` as an argument list, in its own process
group, its output in files, on the GPUs of its slot (CUDA_VISIBLE_DEVICES), torchrun for more
than one GPU, and LLaMA-Factory's web-UI switches so that SIGABRT stops it gracefully (the
adapter, results and plot are saved after the current step).

A process this server did not start (found again after a restart) is adopted by its pid and
start time, so a reused pid is never mistaken for it."""

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger("llmforge.training")

# Never let llmforge's own virtualenv leak into LLaMA-Factory's.
_DROPPED_ENV = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DISABLE_VERSION_CHECK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONUNBUFFERED": "1",
}


class LaunchError(Exception):
    """The job cannot start (missing files, no llamafactory-cli): it fails with this reason."""


@dataclass(frozen=True)
class LaunchSpec:
    job_dir: Path
    config_path: Path
    output_dir: Path
    gpus: tuple[str, ...]
    """GPU ids of the slot; empty for the CPU slot."""
    extra_env: dict[str, str] = field(default_factory=dict)
    job_id: int = 0
    attempt: int = 0

    @property
    def stdout_path(self) -> Path:
        return self.job_dir / "stdout.log"

    @property
    def stderr_path(self) -> Path:
        return self.job_dir / "stderr.log"


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of a process (clock ticks since boot), None when it is gone or a
    zombie: with the pid it names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat[stat.rfind(")") + 2 :].split()[2]) == pgid:
                members.append(int(entry.name))
    return members


def _is_trainer_rank(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return b"llamafactory/launcher.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return False


class TrainingProcess:
    """A running (or adopted) `llamafactory-cli train`; `pid` leads its process group."""

    def __init__(
        self, pid: int, start_time: str | None, child: asyncio.subprocess.Process | None = None
    ) -> None:
        self.pid = pid
        self.start_time = start_time
        self._child = child

    @property
    def label(self) -> str:
        return f"pid {self.pid}"

    def alive(self) -> bool:
        if self._child is not None:
            return self._child.returncode is None
        return self.start_time is not None and process_start_time(self.pid) == self.start_time

    @property
    def returncode(self) -> int | None:
        """The exit status of a process this server started; None while it runs or when it
        was adopted (its parent was the previous server)."""
        return self._child.returncode if self._child is not None else None

    def detach(self) -> None:
        """Stop following (the scheduler stops): the process runs on by itself."""

    async def wait(self, poll: float = 0.5) -> int | None:
        while self.alive():  # noqa: ASYNC110 - an adopted process is no child: polled
            await asyncio.sleep(poll)
        return self.returncode

    def request_stop(self) -> None:
        """Graceful stop: SIGABRT to the trainer process(es); each finishes its step, saves and
        exits. Under torchrun the ranks get it, not the launcher."""
        ranks = [pid for pid in _group_members(self.pid) if _is_trainer_rank(pid)]
        for pid in ranks or [self.pid]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGABRT)

    def signal_group(self, signum: int) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    async def terminate(self, grace: float) -> None:
        """SIGTERM to the whole group, SIGKILL when it is still there after `grace` s."""
        self.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.alive() and time.monotonic() < deadline:  # noqa: ASYNC110 - see wait()
            await asyncio.sleep(0.1)
        if self.alive():
            self.signal_group(signal.SIGKILL)
            await self.wait(0.1)


class LocalExecutor:
    def __init__(self, cli: str, base_env: dict[str, str] | None = None) -> None:
        self.cli = cli
        self.base_env = dict(os.environ if base_env is None else base_env)

    def available(self) -> bool:
        path = Path(self.cli)
        if path.is_absolute() or os.sep in self.cli:
            return path.is_file() and os.access(path, os.X_OK)
        return shutil.which(self.cli) is not None

    def environment(self, spec: LaunchSpec) -> dict[str, str]:
        env = {k: v for k, v in self.base_env.items() if k not in _DROPPED_ENV}
        env.update(_OFFLINE_ENV)
        env["CUDA_VISIBLE_DEVICES"] = ",".join(spec.gpus)
        env["LLAMABOARD_ENABLED"] = "1"
        env["LLAMABOARD_WORKDIR"] = str(spec.output_dir)
        if len(spec.gpus) > 1:
            env["FORCE_TORCHRUN"] = "1"
            env["NPROC_PER_NODE"] = str(len(spec.gpus))
        else:
            env.pop("FORCE_TORCHRUN", None)
            env.pop("NPROC_PER_NODE", None)
        env.update(spec.extra_env)
        return env

    async def start(self, spec: LaunchSpec) -> TrainingProcess:
        await asyncio.to_thread(spec.output_dir.mkdir, parents=True, exist_ok=True)
        out = await asyncio.to_thread(spec.stdout_path.open, "ab")
        err = await asyncio.to_thread(spec.stderr_path.open, "ab")
        try:
            child = await asyncio.create_subprocess_exec(
                self.cli,
                "train",
                str(spec.config_path),
                cwd=spec.job_dir,
                env=self.environment(spec),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        finally:
            out.close()
            err.close()
        logger.info("training: started pid %d for %s", child.pid, spec.config_path)
        return TrainingProcess(child.pid, process_start_time(child.pid), child)

    async def reattach(self, job: Any, host: str) -> TrainingProcess | None:
        """The job's process when it still runs on this host (`job`: a TrainingJob row)."""
        return self.adopt(job.pid, job.pid_started) if job.host == host else None

    @staticmethod
    def adopt(pid: int | None, start_time: str | None) -> TrainingProcess | None:
        """The process a previous server started, when it still runs; None when it is gone."""
        if pid is None or start_time is None or process_start_time(pid) != start_time:
            return None
        return TrainingProcess(pid, start_time)
