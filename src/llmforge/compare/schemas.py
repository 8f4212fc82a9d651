from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmforge.chat.schemas import KnowledgeBaseIds, MessageText, SystemPrompt
from llmforge.compare.models import LaneStatus
from llmforge.knowledge.schemas import Source
from llmforge.prompts.schemas import Values
from llmforge.providers.schemas import ModelParameters

MIN_LANES = 2
MAX_LANES = 6
DatabaseId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Rating = Annotated[int, Field(ge=1, le=5)]


class LaneCreate(BaseModel):
    """A model, or a Dify app (`dify_app_id`), answers the lane."""

    model_config = ConfigDict(extra="forbid")

    model_id: DatabaseId | None = None
    dify_app_id: DatabaseId | None = None
    parameters: ModelParameters = ModelParameters()
    """On top of the model's own defaults (a Dify app uses its own settings)."""

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.model_id is None) == (self.dify_app_id is None):
            raise ValueError("give either a model_id or a dify_app_id")
        return self


class TemplateUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: DatabaseId
    values: Values = {}


class CompareCreate(BaseModel):
    """One prompt (typed, or rendered from a prompt template) for 2 to 6 lanes."""

    model_config = ConfigDict(extra="forbid")

    prompt: MessageText | None = None
    template: TemplateUse | None = None
    system_prompt: SystemPrompt = ""
    blind: bool = False
    """Hide which model answered in which lane until a vote or a reveal; lanes are shuffled."""
    knowledge_base_ids: KnowledgeBaseIds = []
    """Every lane gets the same passages from these knowledge bases."""
    lanes: Annotated[list[LaneCreate], Field(min_length=MIN_LANES, max_length=MAX_LANES)]

    @model_validator(mode="after")
    def _one_prompt(self) -> Self:
        if (self.prompt is None) == (self.template is None):
            raise ValueError("give either a prompt or a template (with its values), not both")
        return self


class CompareLaneRead(BaseModel):
    """A lane as stored. In a blind run that is not yet revealed, `model_id`, `model_name`,
    `provider_name` and `parameters` are null: the lane is known by its `label` alone."""

    id: int
    position: int
    label: str
    model_id: int | None
    model_name: str | None
    provider_name: str | None
    parameters: dict[str, Any] | None
    content: str
    reasoning: str
    status: LaneStatus
    error: dict[str, Any] | None
    ttft_ms: float | None
    latency_ms: float | None
    reasoning_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    tokens_estimated: bool
    cost: Decimal | None
    tokens_per_second: float | None
    """Output tokens per second of generation (after the first token)."""
    finish_reason: str | None
    rating: int | None


class CompareLaneSummary(BaseModel):
    id: int
    position: int
    label: str
    model_name: str | None
    provider_name: str | None
    status: LaneStatus
    ttft_ms: float | None
    latency_ms: float | None
    output_tokens: int | None
    tokens_per_second: float | None
    cost: Decimal | None
    rating: int | None


class CompareRunFields(BaseModel):
    id: int
    system_prompt: str
    blind: bool
    revealed: bool
    """False only while a blind run still hides its models."""
    winner_lane_id: int | None
    created_at: datetime
    updated_at: datetime


class CompareRunRead(CompareRunFields):
    prompt: str
    lanes: list[CompareLaneRead]
    knowledge_base_ids: list[int] = []
    sources: list[Source] | None = None
    """The passages every lane was given as [1], [2], … (None: no knowledge base)."""


class CompareRunSummary(CompareRunFields):
    prompt_preview: str
    lanes: list[CompareLaneSummary]


class Vote(BaseModel):
    """Pick a winner, rate answers 1-5, or both; voting reveals a blind run. A later vote
    changes the winner (null clears it) and the ratings it names."""

    model_config = ConfigDict(extra="forbid")

    winner_lane_id: DatabaseId | None = None
    ratings: Annotated[dict[DatabaseId, Rating], Field(max_length=6)] = {}

    @model_validator(mode="after")
    def _something(self) -> Self:
        if "winner_lane_id" not in self.model_fields_set and not self.ratings:
            raise ValueError("give a winner_lane_id, ratings, or both")
        return self
