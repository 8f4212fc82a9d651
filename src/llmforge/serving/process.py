"""LLaMA-Factory child processes: argument lists, their own process group, a clean environment
(no llmforge secrets, offline hub), YAML configs and log tails."""

import asyncio
import contextlib
import fcntl
import json
import os
import signal
from pathlib import Path
from typing import IO

DROPPED_ENV = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DISABLE_VERSION_CHECK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONUNBUFFERED": "1",
}
LOG_TAIL_LINES = 20
LOG_TAIL_CHARS = 4000


def child_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in DROPPED_ENV and not key.startswith(("LLMFORGE_", "API_"))
    }
    return env | OFFLINE_ENV | extra


def write_yaml(path: Path, config: dict[str, object]) -> Path:
    """JSON-encoded values are valid YAML and need no quoting rules."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}: {json.dumps(value)}\n" for key, value in config.items()))
    return path


def log_tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])[-LOG_TAIL_CHARS:]


async def spawn(
    cli: str, arguments: list[str], *, workdir: Path, log_path: Path, env: dict[str, str]
) -> asyncio.subprocess.Process:
    """Start `cli arguments...` in a new session (its own process group), output to log_path."""
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            cli,
            *arguments,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )


def signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


async def stop_group(process: asyncio.subprocess.Process, grace_seconds: float) -> None:
    """SIGTERM to the process group, SIGKILL after `grace_seconds`."""
    signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace_seconds)
    except TimeoutError:
        signal_group(process.pid, signal.SIGKILL)
        await process.wait()
    signal_group(process.pid, signal.SIGKILL)  # children that outlived their leader


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


async def stop_pid_group(pid: int, grace_seconds: float) -> None:
    """Like stop_group, for a process group this process did not start."""
    signal_group(pid, signal.SIGTERM)
    deadline = asyncio.get_running_loop().time() + grace_seconds
    # another process's group: there is nothing to await but time
    while _group_alive(pid) and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    signal_group(pid, signal.SIGKILL)


def is_llamafactory_process(pid: int) -> bool:
    """True when `pid` runs llamafactory-cli (a recorded pid may have been reused since)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"llamafactory" in command


FileLock = IO[bytes]


def try_lock(directory: Path) -> FileLock | None:
    """An exclusive lock on directory/supervisor.lock held while the file stays open; None
    when another process holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = (directory / "supervisor.lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle
