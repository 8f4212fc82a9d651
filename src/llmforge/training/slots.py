"""Resource slots of one scheduler: the GPUs it may use (from settings, else what nvidia-smi
lists), or one CPU slot when there is none. A job takes `gpu_count` GPUs, or the CPU slot."""

import logging
import shutil
import subprocess
from dataclasses import dataclass, field

logger = logging.getLogger("llmforge.training")


def detect_gpus() -> list[str]:
    """GPU indexes nvidia-smi reports; none when it is missing or fails."""
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return []
    try:
        listed = subprocess.run(  # noqa: S603 - the binary on PATH, fixed arguments
            [binary, "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        logger.warning("nvidia-smi failed; training runs on the CPU slot")
        return []
    return [line.strip() for line in listed.stdout.splitlines() if line.strip().isdigit()]


def configured_gpus(setting: str) -> list[str]:
    """LLMFORGE_TRAINING_GPUS: "0,1,3", "none" (CPU only), or empty (ask nvidia-smi)."""
    value = setting.strip().lower()
    if value == "none":
        return []
    if value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return detect_gpus()


@dataclass
class SlotPool:
    gpus: list[str]
    busy: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """job id -> the GPUs it holds (empty tuple: the CPU slot)."""

    @property
    def cpu_only(self) -> bool:
        return not self.gpus

    @property
    def capacity(self) -> int:
        return len(self.gpus) or 1

    def free_gpus(self) -> list[str]:
        held = {gpu for gpus in self.busy.values() for gpu in gpus}
        return [gpu for gpu in self.gpus if gpu not in held]

    def fits(self, gpu_count: int) -> bool:
        if self.cpu_only:
            return not self.busy and gpu_count <= 1
        return 0 < gpu_count <= len(self.free_gpus())

    def largest_fit(self) -> int:
        """The most GPUs a job may ask for and still be taken now (0: nothing fits)."""
        if self.cpu_only:
            return 0 if self.busy else 1
        return len(self.free_gpus())

    def take(self, job_id: int, gpu_count: int) -> tuple[str, ...]:
        gpus = () if self.cpu_only else tuple(self.free_gpus()[:gpu_count])
        self.busy[job_id] = gpus
        return gpus

    def release(self, job_id: int) -> None:
        self.busy.pop(job_id, None)
