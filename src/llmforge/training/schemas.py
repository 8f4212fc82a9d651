from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from llmforge.evaluation.schemas import EvaluationRead
from llmforge.training.config import Hyperparameters, Method, Stage, SwanlabOptions, TrainingPreset
from llmforge.training.models import CancelMode, JobStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class SwanlabInput(SwanlabOptions):
    api_key: SecretStr | None = Field(
        default=None, max_length=200, description="cloud mode only; stored encrypted"
    )


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    base_model_id: Id
    dataset_id: Id
    method: Method = Method.lora
    stage: Stage | None = Field(
        default=None, description="default: dpo when the dataset has chosen/rejected, else sft"
    )
    template: Annotated[str | None, Field(max_length=64)] = Field(
        default=None, description="default: the base model's template"
    )
    preset: Annotated[str | None, Field(max_length=64)] = Field(
        default=None, description="start from a preset; `hyperparameters` given win over it"
    )
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    advanced_yaml: Annotated[str | None, Field(max_length=200_000)] = Field(
        default=None,
        description="the preview's YAML edited by hand: known keys only, managed keys fixed",
    )
    gpu_count: Annotated[int, Field(ge=1, le=64)] = 1
    priority: Annotated[int, Field(ge=-100, le=100)] = 0
    swanlab: SwanlabInput = Field(default_factory=SwanlabInput)


class JobPreview(BaseModel):
    yaml: str
    config: dict[str, Any]
    stage: Stage
    template: str
    hyperparameters: Hyperparameters
    swanlab_available: bool


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    base_model_id: int
    dataset_id: int
    method: str
    stage: str
    template: str
    gpu_count: int
    priority: int
    status: JobStatus
    cancel_requested: CancelMode | None
    progress: float
    current_step: int
    total_steps: int | None
    eta_seconds: float | None
    throughput: float | None
    latest_loss: float | None
    attempt: int
    error: str | None
    model_version_id: int | None
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class SwanlabInfo(BaseModel):
    mode: str
    project: str | None = None
    logdir: str | None = None
    watch_command: str | None = None
    url: str | None = None


class JobDetail(JobRead):
    hyperparameters: dict[str, Any]
    overrides: dict[str, Any]
    yaml: str
    output_dir: str
    gpus: str | None
    host: str | None
    exit_code: int | None
    can_resume: bool
    swanlab: SwanlabInfo


class CancelRequest(BaseModel):
    mode: CancelMode = CancelMode.graceful


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    reason: str
    at: datetime


class MetricRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    step: int
    values: dict[str, float]
    elapsed_seconds: float | None


class LogLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    stream: str
    text: str
    created_at: datetime


class TrainingOptions(BaseModel):
    """What the create form offers."""

    methods: list[Method]
    stages: list[Stage]
    templates: list[str]
    presets: list[TrainingPreset]
    defaults: Hyperparameters
    swanlab_available: bool
    max_gpus_per_job: int
    slots: dict[str, Any]


class ArtifactRead(BaseModel):
    name: str
    kind: Literal["file", "directory"]
    size_bytes: int


class CurvePoint(BaseModel):
    step: int
    loss: float | None = None
    lr: float | None = None
    eval_loss: float | None = None


class TrainingReport(BaseModel):
    job: JobDetail
    base_model: dict[str, Any]
    dataset: dict[str, Any]
    final_loss: float | None
    best_loss: float | None
    best_step: int | None
    eval_loss: float | None
    duration_seconds: float | None
    train_runtime_seconds: float | None
    samples_per_second: float | None
    steps_per_second: float | None
    tokens_per_second: float | None
    results: dict[str, Any]
    curve: list[CurvePoint]
    artifacts: list[ArtifactRead]
    transitions: list[TransitionRead]
    evaluation: EvaluationRead | None = Field(
        default=None, description="base vs fine-tuned on the held-out split, when evaluated"
    )
