from datetime import datetime
from typing import Annotated

from pydantic import BaseModel as Schema
from pydantic import ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ModelPath = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Template = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class BaseModelCreate(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Name
    path: ModelPath
    template: Template
    description: Description = ""


class BaseModelUpdate(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    path: ModelPath | None = None
    template: Template | None = None
    description: Description | None = None


class BaseModelRead(Schema):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    path: str
    template: str
    architecture: str | None
    parameter_count: int | None
    size_bytes: int | None
    description: str
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class TemplateList(Schema):
    templates: list[str]
    model_roots: list[str]
