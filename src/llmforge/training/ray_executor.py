"""The ray executor: each attempt is a job on an existing Ray cluster, submitted through its Jobs
API (`JobSubmissionClient`, the dashboard address, e.g. http://head:8265), for when one machine
is not enough.

Assumptions: the job folders (config, dataset, output) are on a filesystem that the Ray workers
see at the same paths (NFS or the like), so trainer_log.jsonl is followed as for a local run,
and LLaMA-Factory is installed on the workers at the same path as `llamafactory-cli` here (its
own virtualenv; no runtime_env pip).

The entrypoint is a small wrapper run by LLaMA-Factory's own Python: it starts
`llamafactory-cli train job.yaml` and, when the attempt's stop file appears in the job folder,
sends it SIGABRT, LLaMA-Factory's graceful stop (its LLAMABOARD switches are set: it finishes the
step and saves the adapter). Ray's own stop (`stop_job`) can only send SIGTERM or SIGINT, then
SIGKILL after RAY_JOB_STOP_WAIT_TIME_S: that is the forced stop. Under torchrun (several GPUs)
the launcher, not each rank, gets SIGABRT, so a graceful stop ends as a forced one.

The submission id is derived from the job id, the attempt and the job folder, so a restarted
scheduler asks Ray for the job's status instead of looking for a pid. The driver's output
(stdout and stderr together) is streamed with `tail_job_logs` into the job's stdout.log."""

import asyncio
import contextlib
import hashlib
import logging
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmforge.training.executor import _OFFLINE_ENV, LaunchError, LaunchSpec

if TYPE_CHECKING:
    from ray.job_submission import JobSubmissionClient

logger = logging.getLogger("llmforge.training")

_WRAPPER = """\
import os, signal, subprocess, sys
workdir, stop_file, *command = sys.argv[1:]
dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
env = {k: v for k, v in os.environ.items() if k not in dropped}
child = subprocess.Popen(command, cwd=workdir, env=env)
asked = False
while True:
    try:
        code = child.wait(timeout=0.5)
        break
    except subprocess.TimeoutExpired:
        if not asked and os.path.exists(stop_file):
            child.send_signal(signal.SIGABRT)
            asked = True
sys.exit(code if code >= 0 else 128 - code)
"""

_UNREACHABLE_GIVE_UP_SECONDS = 120.0


def submission_id(job_id: int, attempt: int, job_dir: Path) -> str:
    """Unique per job folder (so two llmforge installations can share a cluster) and attempt."""
    digest = hashlib.sha256(str(job_dir).encode()).hexdigest()[:10]
    return f"llmforge-{job_id}-{attempt}-{digest}"


def _stop_file(job_dir: Path, sid: str) -> Path:
    return job_dir / f"{sid}.stop"


def _offset_file(job_dir: Path, sid: str) -> Path:
    return job_dir / f"{sid}.log-offset"


class RayRun:
    """One submitted attempt, followed by a task that streams its logs and learns its end."""

    pid: int | None = None
    start_time: str | None = None

    def __init__(
        self, client: "JobSubmissionClient", sid: str, job_dir: Path, written: int = 0
    ) -> None:
        self.client = client
        self.submission_id = sid
        self.job_dir = job_dir
        self.log_path = job_dir / "stdout.log"
        self.status: str | None = None
        self._written = written
        self._returncode: int | None = None
        self._follower = asyncio.create_task(self._follow(), name=f"ray-job {sid}")

    @property
    def label(self) -> str:
        return f"Ray job {self.submission_id}"

    def alive(self) -> bool:
        return not self._follower.done()

    @property
    def returncode(self) -> int | None:
        """The driver's exit status once Ray reports the job ended (None when Ray has none)."""
        return self._returncode

    def detach(self) -> None:
        """Stop following (the scheduler stops); the Ray job runs on, a new scheduler adopts it."""
        self._follower.cancel()

    async def wait(self, poll: float = 0.5) -> int | None:
        await asyncio.shield(self._follower)
        return self._returncode

    def request_stop(self) -> None:
        """Graceful stop: the wrapper sees the stop file and sends the trainer SIGABRT."""
        _stop_file(self.job_dir, self.submission_id).touch()

    async def terminate(self, grace: float) -> None:
        """Ray's stop: SIGTERM to the driver's processes, SIGKILL after RAY_JOB_STOP_WAIT_TIME_S
        (set to the kill timeout at submission); waits up to `grace` more for the end."""
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.client.stop_job, self.submission_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._follower), grace * 2 + 5)

    def _append(self, data: bytes, seen: int) -> int:
        """Write the part of `data` (which starts at byte `seen` of the job's log) not yet
        written; returns the byte count seen after it."""
        start = self._written - seen
        if start < len(data):
            chunk = data[max(start, 0) :]
            with self.log_path.open("ab") as out:
                out.write(chunk)
            self._written += len(chunk)
        return seen + len(data)

    async def _tail(self) -> None:
        seen = 0
        async for text in self.client.tail_job_logs(self.submission_id):
            seen = await asyncio.to_thread(self._append, text.encode(), seen)

    async def _follow(self) -> None:
        failing_since: float | None = None
        while True:
            try:
                await self._tail()
            except Exception as exc:
                logger.warning("%s: following the logs failed: %s", self.label, exc)
            try:
                info = await asyncio.to_thread(self.client.get_job_info, self.submission_id)
            except Exception as exc:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > _UNREACHABLE_GIVE_UP_SECONDS:
                    logger.error("%s: Ray cannot be asked about it: %s", self.label, exc)
                    return
                await asyncio.sleep(2)
                continue
            failing_since = None
            self.status = str(info.status)
            if info.status.is_terminal():
                await self._last_logs()
                self._returncode = info.driver_exit_code
                return
            await asyncio.sleep(1)

    async def _last_logs(self) -> None:
        with contextlib.suppress(Exception):
            logs = await asyncio.to_thread(self.client.get_job_logs, self.submission_id)
            await asyncio.to_thread(self._append, logs.encode(), 0)


class RayExecutor:
    """Submits attempts to the Ray cluster at `address` (the dashboard's HTTP address)."""

    def __init__(
        self,
        address: str,
        cli: str,
        *,
        kill_timeout: float = 15.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.address = address
        self.cli = cli
        self.kill_timeout = kill_timeout
        self.env = dict(env or {})
        self._client: JobSubmissionClient | None = None

    def available(self) -> bool:
        """LLaMA-Factory must be given by absolute path (it runs on the workers at that path)."""
        return Path(self.cli).is_absolute()

    async def client(self) -> "JobSubmissionClient":
        if not self.address:
            raise LaunchError("LLMFORGE_RAY_ADDRESS is not set (the Ray dashboard's address).")
        if self._client is None:
            from ray.job_submission import JobSubmissionClient

            try:
                self._client = await asyncio.to_thread(JobSubmissionClient, self.address)
            except Exception as exc:
                raise LaunchError(
                    f"The Ray cluster at {self.address!r} could not be reached: {exc}"
                ) from exc
        return self._client

    def environment(self, spec: LaunchSpec) -> dict[str, str]:
        env = dict(_OFFLINE_ENV) | self.env
        env["LLAMABOARD_ENABLED"] = "1"
        env["LLAMABOARD_WORKDIR"] = str(spec.output_dir)
        env["RAY_JOB_STOP_WAIT_TIME_S"] = str(max(1, round(self.kill_timeout)))
        if not spec.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ""  # the CPU slot; Ray assigns the GPUs otherwise
        elif len(spec.gpus) > 1:
            env["FORCE_TORCHRUN"] = "1"
            env["NPROC_PER_NODE"] = str(len(spec.gpus))
        env.update(spec.extra_env)
        return env

    def entrypoint(self, spec: LaunchSpec, sid: str) -> str:
        python = str(Path(self.cli).parent / "python")
        command = [self.cli, "train", str(spec.config_path)]
        stop = str(_stop_file(spec.job_dir, sid))
        return shlex.join([python, "-c", _WRAPPER, str(spec.job_dir), stop, *command])

    async def start(self, spec: LaunchSpec) -> RayRun:
        client = await self.client()
        sid = submission_id(spec.job_id, spec.attempt, spec.job_dir)
        await asyncio.to_thread(spec.output_dir.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(_stop_file(spec.job_dir, sid).unlink, missing_ok=True)
        offset = spec.stdout_path.stat().st_size if spec.stdout_path.exists() else 0
        await asyncio.to_thread(_offset_file(spec.job_dir, sid).write_text, str(offset))
        try:
            await asyncio.to_thread(
                client.submit_job,
                entrypoint=self.entrypoint(spec, sid),
                submission_id=sid,
                runtime_env={"env_vars": self.environment(spec)},
                entrypoint_num_gpus=len(spec.gpus),
                entrypoint_num_cpus=1,
                metadata={"llmforge_job": str(spec.job_id), "attempt": str(spec.attempt)},
            )
        except Exception as exc:
            raise LaunchError(f"Ray did not accept the job: {exc}") from exc
        logger.info("training: submitted %s to %s", sid, self.address)
        return RayRun(client, sid, spec.job_dir)

    async def reattach(self, job: Any, host: str) -> RayRun | None:
        """The Ray job of the job's current attempt, from any host; None when Ray has none."""
        job_dir = Path(job.job_dir)
        sid = submission_id(job.id, job.attempt, job_dir)
        try:
            client = await self.client()
            await asyncio.to_thread(client.get_job_info, sid)
        except Exception as exc:
            logger.info("training job %d: Ray has no job %s (%s)", job.id, sid, exc)
            return None
        written = await asyncio.to_thread(_written_since_start, job_dir, sid)
        return RayRun(client, sid, job_dir, written)


def _written_since_start(job_dir: Path, sid: str) -> int:
    log = job_dir / "stdout.log"
    size = log.stat().st_size if log.exists() else 0
    try:
        start = int(_offset_file(job_dir, sid).read_text())
    except (OSError, ValueError):
        start = size
    return max(size - start, 0)
