from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from llmforge.serving.models import ExportStatus, ServeStatus

VersionName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][\w.-]*$"
    ),
]
DirectoryPath = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]


class VersionCreate(BaseModel):
    """A version from an existing adapter (or full fine-tune) directory; admins only."""

    model_config = ConfigDict(extra="forbid")

    name: VersionName = Field(description="also the served model id: letters, digits, . _ -")
    base_model_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    adapter_path: DirectoryPath | None = Field(
        default=None, description="a directory with adapter_config.json (LoRA, freeze)"
    )
    model_path: DirectoryPath | None = Field(
        default=None, description="a full fine-tune's model directory (with config.json)"
    )
    template: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="default: the base model's template"
    )
    finetuning_type: Literal["lora", "freeze", "full"] = "lora"


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    base_model_id: int
    adapter_path: str | None
    model_path: str | None
    template: str
    finetuning_type: str
    job_id: int | None
    status: ServeStatus
    port: int | None
    pid: int | None
    provider_id: int | None
    served_model_id: int | None
    restarts: int
    last_error: str | None
    served_at: datetime | None
    export_status: ExportStatus
    export_dir: str | None
    export_error: str | None
    created_at: datetime
    updated_at: datetime
