from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from llmforge.evaluation.models import EvaluationStatus

Side = Literal["base", "fine_tuned"]


class SideSummary(BaseModel):
    side: Side
    version_id: int | None
    model_id: int
    model_name: str
    mean_similarity: float | None
    mean_latency_ms: float | None
    answered: int
    errors: int


class SideAnswer(BaseModel):
    answer: str | None
    similarity: float | None
    latency_ms: float | None
    failed: bool


class EvaluationRow(BaseModel):
    position: int
    prompt: str
    reference: str | None
    base: SideAnswer | None
    fine_tuned: SideAnswer | None


class EvaluationRead(BaseModel):
    id: int
    job_id: int
    status: EvaluationStatus
    phase: str | None
    reason: str | None
    base_version_id: int | None
    tuned_version_id: int | None
    set_id: int | None
    run_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: list[SideSummary]
    rows: list[EvaluationRow]
