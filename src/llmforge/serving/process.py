"""LLaMA-Factory child processes: argument lists, their own process group, a clean environment
(no llmforge secrets, offline hub), YAML configs and log tails."""

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

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


def is_llamafactory_process(pid: int) -> bool:
    """True when `pid` runs llamafactory-cli (a recorded pid may have been reused since)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"llamafactory" in command
