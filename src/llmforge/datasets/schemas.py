from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
CutoffLen = Annotated[int, Field(ge=1, le=1_000_000)]


class DatasetUpload(BaseModel):
    """Query parameters of an upload; the body is the file itself."""

    filename: Annotated[str, StringConstraints(max_length=255)] = Field(
        "", description="The file's name: its extension (.json, .jsonl, .csv) picks the parser."
    )
    name: Name = Field("", description="Defaults to the file name without its extension.")
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    format: Literal["auto", "alpaca", "sharegpt", "openai"] = "auto"
    split_percent: int = Field(0, ge=0, le=50, description="Share held out for evaluation.")
    split_seed: int = Field(42, ge=0, le=2**31 - 1)
    cutoff_len: CutoffLen = Field(1024, description="Records longer than this are reported.")
    base_model_path: str | None = Field(
        None,
        max_length=1000,
        description="A base model directory inside the model roots: its tokenizer.json counts "
        "the tokens (else an estimate).",
    )


class DatasetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    version: int
    description: str
    format: str
    has_preferences: bool
    source_name: str
    record_count: int
    train_count: int
    heldout_count: int
    split_percent: int
    split_seed: int
    size_bytes: int
    sha256: str
    created_at: datetime


class TokenSummary(BaseModel):
    min: int
    max: int
    mean: float
    p50: int
    p95: int
    total: int


class HistogramBin(BaseModel):
    start: int
    end: int
    count: int


class LintFinding(BaseModel):
    count: int
    lines: list[int] = Field(description="Line numbers in the uploaded file (the first 20).")


class DatasetStats(BaseModel):
    tokenizer: str
    tokens: TokenSummary
    histogram: list[HistogramBin]
    cutoff_len: int
    mean_turns: float
    lint: dict[str, LintFinding] = Field(
        description="broken_alternation, duplicate, empty_answer, over_cutoff"
    )


class DatasetDetail(DatasetRead):
    stats: DatasetStats


class RecordRead(BaseModel):
    index: int = Field(description="1-based position in the dataset.")
    line: int = Field(description="Line in the uploaded file.")
    heldout: bool
    record: dict[str, Any]
