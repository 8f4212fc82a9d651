from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from llmforge.batch.models import RunStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ScorerName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[\w.-]+$")
]
ModelId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class SetCreate(BaseModel):
    """A set built in the page. Rows are validated like an uploaded file's, with row numbers."""

    name: Name
    rows: list[Any] = Field(description="[{prompt, reference?, system_prompt?, tags?: [..]}]")


class SetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source: str
    row_count: int
    created_at: datetime
    updated_at: datetime


class RowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    source_row: int
    prompt: str
    reference: str | None
    system_prompt: str | None
    tags: list[str]


class RowPage(BaseModel):
    items: list[RowRead]
    total: int
    page: int
    page_size: int


class SetDetail(SetRead):
    rows: RowPage


class _Scorer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ScorerName | None = Field(default=None, description="unique in the run; default: type")


class ExactScorer(_Scorer):
    type: Literal["exact"]
    normalize: bool = Field(default=True, description="ignore case and runs of whitespace")


class ContainsScorer(_Scorer):
    type: Literal["contains"]
    normalize: bool = Field(default=True, description="ignore case and runs of whitespace")


class RegexScorer(_Scorer):
    type: Literal["regex"]
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    ignore_case: bool = False


class SimilarityScorer(_Scorer):
    type: Literal["similarity"]
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.8


class JudgeScorer(_Scorer):
    type: Literal["judge"]
    judge_model_id: ModelId
    rubric: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]


Scorer = Annotated[
    ExactScorer | ContainsScorer | RegexScorer | SimilarityScorer | JudgeScorer,
    Field(discriminator="type"),
]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    set_id: ModelId
    model_ids: Annotated[list[ModelId], Field(min_length=1, max_length=10)]
    scorers: Annotated[list[Scorer], Field(max_length=10)] = []
    concurrency_per_provider: Annotated[int, Field(ge=1, le=32)] = 4

    @model_validator(mode="after")
    def _distinct(self) -> "RunCreate":
        if len(set(self.model_ids)) != len(self.model_ids):
            raise ValueError("model_ids lists a model twice")
        names = [scorer.name or scorer.type for scorer in self.scorers]
        if len(set(names)) != len(names):
            raise ValueError("two scorers have the same name: give them distinct `name`s")
        return self


class RunModel(BaseModel):
    id: int
    name: str
    provider_id: int
    provider_name: str


class Progress(BaseModel):
    done: int
    total: int
    errors: int
    percent: float


class RunRead(BaseModel):
    id: int
    set_id: int
    set_name: str
    status: RunStatus
    models: list[RunModel]
    scorers: list[dict[str, Any]]
    concurrency_per_provider: int
    progress: Progress
    eta_seconds: float | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ModelSummary(BaseModel):
    model_id: int
    model_name: str
    provider_name: str
    cells: int
    done: int
    errors: int
    mean_latency_ms: float | None
    p95_latency_ms: float | None
    mean_ttft_ms: float | None
    input_tokens: int
    output_tokens: int
    total_cost: Decimal | None
    scores: dict[str, float | None] = Field(description="mean score per scorer (nulls skipped)")


class RunDetail(RunRead):
    summary: list[ModelSummary]


class CellRead(BaseModel):
    model_id: int
    failed: bool
    answer: str
    reasoning: str
    error: dict[str, Any] | None
    latency_ms: float | None
    ttft_ms: float | None
    input_tokens: int
    output_tokens: int
    tokens_estimated: bool
    cost: Decimal | None
    finish_reason: str | None
    scores: dict[str, Any]


class ResultRow(BaseModel):
    row_id: int
    position: int
    source_row: int
    prompt: str
    reference: str | None
    system_prompt: str | None
    tags: list[str]
    cells: dict[str, CellRead | None] = Field(
        description="by model id (as a string); null while that cell is not done"
    )


class ResultPage(BaseModel):
    items: list[ResultRow]
    total: int
    page: int
    page_size: int
    models: list[RunModel]
