from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_CATEGORY = 100
MAX_BODY = 100_000
MAX_VARIABLES = 50
MAX_TAGS = 20
MAX_TAG = 50
MAX_DEFAULT = 10_000
MAX_VALUE = 100_000


def _unique_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


VariableName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", min_length=1, max_length=100)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_CATEGORY)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique_tags)]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY)]
Value = Annotated[str, Field(max_length=MAX_VALUE)]
Values = Annotated[dict[str, Value], Field(max_length=MAX_VARIABLES)]


class TemplateVariable(BaseModel):
    """A declared variable. `{{name}}` in the body is replaced by the given value, else the
    default, else (when not required) an empty string."""

    model_config = ConfigDict(extra="forbid")

    name: VariableName
    description: Description = ""
    default: Annotated[str, Field(max_length=MAX_DEFAULT)] | None = None
    required: bool = False


Variables = Annotated[list[TemplateVariable], Field(max_length=MAX_VARIABLES)]


class PromptTemplateCreate(BaseModel):
    name: Name
    description: Description = ""
    category: Category | None = Field(default=None, description="empty means uncategorized")
    tags: Tags = []
    body: Body
    variables: Variables = []
    shared: bool = Field(default=False, description="visible to everyone; admins only")


class PromptTemplateUpdate(BaseModel):
    """Fields left out (or null) stay as they are; `category: ""` or null clears the category.
    A change of content makes a new version; `base_version`, when given, must be the current
    version (else 409 `version_conflict`), so two editors cannot overwrite each other."""

    name: Name | None = None
    description: Description | None = None
    category: Category | None = None
    tags: Tags | None = None
    body: Body | None = None
    variables: Variables | None = None
    shared: bool | None = None
    base_version: Annotated[int, Field(ge=1)] | None = None


class PromptTemplateRead(BaseModel):
    id: int
    owner_id: int
    name: str
    description: str
    category: str | None
    tags: list[str]
    body: str
    variables: list[TemplateVariable]
    shared: bool
    current_version: int
    editable: bool = Field(description="whether the caller may change or delete it")
    created_at: datetime
    updated_at: datetime


class PromptVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    template_id: int
    version: int
    name: str
    description: str
    category: str | None
    tags: list[str]
    body: str
    variables: list[TemplateVariable]
    created_by: int | None
    created_at: datetime


class DiffLine(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str
    old_line: int | None = Field(description="1-based line number in the old body")
    new_line: int | None = Field(description="1-based line number in the new body")


class PromptDiff(BaseModel):
    from_version: int
    to_version: int
    fields: dict[str, tuple[Any, Any]] = Field(
        description="the metadata fields that differ: name, description, category, tags, "
        "variables, each as [old, new]"
    )
    body_changed: bool
    body_diff: str = Field(description="unified diff of the body (empty when unchanged)")
    lines: list[DiffLine]


class RenderRequest(BaseModel):
    values: Values = {}


class PreviewRequest(BaseModel):
    body: Body
    variables: Variables = []
    values: Values = {}


class RenderResult(BaseModel):
    text: str
