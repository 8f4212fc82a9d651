"""A job's folder on disk: data/ (dataset_info.json and the records), job.yaml, output/
(LLaMA-Factory's output_dir), swanlab/, stdout.log and stderr.log. Blocking file work only:
call these from a thread in async code."""

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTPUT = "output"
CONFIG = "job.yaml"
RESULT_FILES = ("all_results.json", "train_results.json")
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def job_dir(data_dir: Path, job_id: int) -> Path:
    """A new job's folder: its id and a random part, so that a reused id (SQLite hands out
    the id of a deleted last row again) never meets an older job's files."""
    name = f"{job_id}-{secrets.token_hex(4)}"
    return (data_dir / "training" / "jobs" / name).resolve()


def write_config(directory: Path, yaml_text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CONFIG
    path.write_text(yaml_text, encoding="utf-8")
    return path


def checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints (their trainer_state.json was written), oldest first."""
    if not output_dir.is_dir():
        return []
    found = []
    for entry in output_dir.iterdir():
        match = _CHECKPOINT.match(entry.name)
        if match and (entry / "trainer_state.json").is_file():
            found.append((int(match[1]), entry))
    return [path for _, path in sorted(found)]


def last_checkpoint(output_dir: Path) -> Path | None:
    found = checkpoints(output_dir)
    return found[-1] if found else None


def is_job_folder(job_dir: Path, output_dir: Path) -> bool:
    """An absolute folder below the root, holding output_dir: safe to empty between attempts."""
    return (
        job_dir.is_absolute()
        and job_dir != Path(job_dir.anchor)
        and output_dir.is_relative_to(job_dir)
        and output_dir != job_dir
    )


def prepare_attempt(output_dir: Path, *, resume: bool) -> None:
    """Before an attempt: a fresh start empties output/; a resumed one drops half-written
    checkpoints (a kill during a save) and the previous attempt's results, so that LLaMA-Factory
    resumes from the last complete checkpoint and a result file means *this* attempt ended."""
    if not resume:
        shutil.rmtree(output_dir, ignore_errors=True)
        output_dir.mkdir(parents=True, exist_ok=True)
        return
    complete = set(checkpoints(output_dir))
    for entry in output_dir.iterdir():
        if _CHECKPOINT.match(entry.name) and entry not in complete:
            shutil.rmtree(entry, ignore_errors=True)
    for name in RESULT_FILES:
        (output_dir / name).unlink(missing_ok=True)


def results(output_dir: Path) -> dict[str, Any] | None:
    """all_results.json (or train_results.json): written when training ended normally or was
    stopped gracefully."""
    for name in RESULT_FILES:
        path = output_dir / name
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(loaded, dict):
            return loaded
    return None


def has_weights(output_dir: Path) -> bool:
    names = ("adapter_model.safetensors", "model.safetensors", "model.safetensors.index.json")
    return any((output_dir / name).is_file() for name in names)


@dataclass(frozen=True)
class Artifact:
    name: str
    kind: str
    """file or directory"""
    size_bytes: int


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def artifacts(output_dir: Path) -> list[Artifact]:
    """What output/ holds (adapter, results, plot, checkpoints), with sizes."""
    if not output_dir.is_dir():
        return []
    found = []
    for entry in sorted(output_dir.iterdir(), key=lambda item: item.name):
        kind = "directory" if entry.is_dir() else "file"
        found.append(Artifact(entry.name, kind, _size(entry)))
    return found


def swanlab_installed(cli: str) -> bool:
    """Whether the LLaMA-Factory environment next to `cli` has swanlab (for use_swanlab)."""
    venv = Path(cli).resolve().parent.parent
    return any(venv.glob("lib/python3*/site-packages/swanlab/__init__.py"))


def swanlab_link(output_dir: Path) -> str | None:
    """A cloud run's experiment URL, from the swanlab_public_config.json LLaMA-Factory writes."""
    try:
        loaded = json.loads((output_dir / "swanlab_public_config.json").read_text())
    except (OSError, ValueError):
        return None
    cloud = loaded.get("cloud") if isinstance(loaded, dict) else None
    url = cloud.get("experiment_url") if isinstance(cloud, dict) else None
    return url if isinstance(url, str) and url.startswith("https://") else None


def tail(path: Path, lines: int = 15) -> list[str]:
    """The last lines of a log file (for a failed job's error)."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return text.replace("\r", "\n").splitlines()[-lines:]
