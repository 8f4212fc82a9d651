"""Prompt templates: visibility and edit rights, versioned edits, search, diff and rendering."""

import difflib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.functions import Function

from llmforge.core.errors import Conflict, Forbidden, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.prompts import rendering
from llmforge.prompts.models import PromptTemplate, PromptTemplateVersion
from llmforge.prompts.schemas import (
    DiffLine,
    PromptDiff,
    PromptTemplateCreate,
    PromptTemplateUpdate,
    TemplateVariable,
)
from llmforge.users.models import Role, User

CONTENT_FIELDS = ("name", "description", "category", "tags", "body", "variables")
METADATA_FIELDS = ("name", "description", "category", "tags", "variables")


class Scope(StrEnum):
    mine = "mine"
    shared = "shared"
    all = "all"


def _visible_to(user: User) -> ColumnElement[bool]:
    return or_(PromptTemplate.owner_id == user.id, PromptTemplate.shared.is_(True))


def can_edit(template: PromptTemplate, user: User) -> bool:
    """Shared templates belong to the admins; a private one to its owner alone."""
    if template.shared:
        return user.role is Role.admin
    return template.owner_id == user.id


def _require_sharing_right(user: User) -> None:
    if user.role is not Role.admin:
        raise Forbidden(
            "Only admins can share a template with everyone.", code="sharing_requires_admin"
        )


async def get_visible(
    session: AsyncSession, user: User, template_id: int, *, for_update: bool = False
) -> PromptTemplate:
    """The template if the user may see it. Another user's private template is as absent as
    one that never existed."""
    statement = select(PromptTemplate).where(PromptTemplate.id == template_id, _visible_to(user))
    if (
        for_update
    ):  # serialises concurrent edits of one template (PostgreSQL; SQLite has one writer)
        statement = statement.with_for_update()
    template = await session.scalar(statement)
    if template is None:
        raise NotFound(f"Prompt template {template_id} does not exist.", code="template_not_found")
    return template


def ensure_editable(template: PromptTemplate, user: User) -> None:
    if not can_edit(template, user):
        raise Forbidden(
            f"'{template.name}' is shared with everyone; only an admin can change it.",
            code="template_read_only",
        )


def _content(
    *,
    name: str,
    description: str,
    category: str | None,
    tags: list[str],
    body: str,
    variables: list[TemplateVariable],
) -> dict[str, Any]:
    """Validated content as stored: variables declared, category "" stored as None."""
    rendering.check_declarations(body, variables)
    return {
        "name": name,
        "description": description,
        "category": category or None,
        "tags": list(tags),
        "body": body,
        "variables": [variable.model_dump() for variable in variables],
    }


def _current_content(template: PromptTemplate | PromptTemplateVersion) -> dict[str, Any]:
    return {field: getattr(template, field) for field in CONTENT_FIELDS}


def _snapshot(template: PromptTemplate, author: User) -> PromptTemplateVersion:
    return PromptTemplateVersion(
        template_id=template.id,
        version=template.current_version,
        created_by=author.id,
        **_current_content(template),
    )


async def create(session: AsyncSession, user: User, data: PromptTemplateCreate) -> PromptTemplate:
    if data.shared:
        _require_sharing_right(user)
    content = _content(
        name=data.name,
        description=data.description,
        category=data.category,
        tags=data.tags,
        body=data.body,
        variables=data.variables,
    )
    template = PromptTemplate(owner_id=user.id, shared=data.shared, current_version=1, **content)
    session.add(template)
    await session.flush()
    session.add(_snapshot(template, user))
    await session.flush()
    return template


async def _write_version(
    session: AsyncSession, template: PromptTemplate, user: User, content: Mapping[str, Any]
) -> None:
    for field, value in content.items():
        setattr(template, field, value)
    template.current_version += 1
    session.add(_snapshot(template, user))
    await session.flush()


async def update(
    session: AsyncSession, user: User, template: PromptTemplate, changes: PromptTemplateUpdate
) -> dict[str, Any]:
    """Apply the changes; a change of content writes a new version. Returns an audit-safe
    summary of what changed ({} when nothing did): field names, never the body itself."""
    given = changes.model_dump(exclude_unset=True)
    if changes.base_version is not None and changes.base_version != template.current_version:
        raise Conflict(
            f"The template changed since version {changes.base_version}; it is now at version "
            f"{template.current_version}. Reload it and apply your edit again.",
            code="version_conflict",
            details={"current_version": template.current_version},
        )
    share = changes.shared is not None and changes.shared != template.shared
    if share:
        _require_sharing_right(user)
    old = _current_content(template)
    new = _content(
        name=changes.name if changes.name is not None else template.name,
        description=(
            changes.description if changes.description is not None else template.description
        ),
        category=changes.category if "category" in given else template.category,
        tags=changes.tags if changes.tags is not None else template.tags,
        body=changes.body if changes.body is not None else template.body,
        variables=(
            changes.variables
            if changes.variables is not None
            else rendering.parse_variables(template.variables)
        ),
    )
    changed_fields = [field for field in CONTENT_FIELDS if new[field] != old[field]]
    summary: dict[str, Any] = {}
    if changed_fields:
        await _write_version(session, template, user, new)
        summary["changed"] = changed_fields
    if share:
        template.shared = bool(changes.shared)
        summary["shared"] = template.shared
    await session.flush()
    return summary


async def restore(
    session: AsyncSession, user: User, template: PromptTemplate, version: int
) -> PromptTemplate:
    """Make a new version whose content is that of `version`; history is never rewritten."""
    source = await get_version(session, template, version)
    await _write_version(session, template, user, _current_content(source))
    return template


async def delete(session: AsyncSession, template: PromptTemplate) -> None:
    await session.delete(template)  # versions go with it (ON DELETE CASCADE)
    await session.flush()


def _tag_values(session: AsyncSession) -> Any:
    """The elements of `prompt_templates.tags` as a table with one column, `value`."""
    if session.get_bind().dialect.name == "postgresql":
        elements: Function[Any] = func.json_array_elements_text(PromptTemplate.tags)
        return elements.table_valued("value", joins_implicitly=True).render_derived()
    return func.json_each(PromptTemplate.tags).table_valued("value", joins_implicitly=True)


def _search_statement(
    session: AsyncSession,
    user: User,
    *,
    query: str | None,
    category: str | None,
    tag: str | None,
    scope: Scope,
) -> Select[PromptTemplate]:
    statement = select(PromptTemplate)
    if scope is Scope.mine:
        statement = statement.where(PromptTemplate.owner_id == user.id)
    elif scope is Scope.shared:
        statement = statement.where(PromptTemplate.shared.is_(True))
    else:
        statement = statement.where(_visible_to(user))
    needle = (query or "").strip().lower()
    if needle:
        statement = statement.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        PromptTemplate.name,
                        PromptTemplate.description,
                        PromptTemplate.body,
                    )
                )
            )
        )
    if category:
        statement = statement.where(PromptTemplate.category == category.strip())
    if tag:
        elements = _tag_values(session)
        statement = statement.where(
            exists(select(1).select_from(elements).where(elements.c.value == tag.strip()))
        )
    return statement.order_by(PromptTemplate.updated_at.desc(), PromptTemplate.id.desc())


async def search(
    session: AsyncSession,
    user: User,
    params: PageParams,
    *,
    query: str | None = None,
    category: str | None = None,
    tag: str | None = None,
    scope: Scope = Scope.all,
) -> tuple[list[PromptTemplate], int]:
    statement = _search_statement(
        session, user, query=query, category=category, tag=tag, scope=scope
    )
    return await paginate(session, statement, params)


async def categories(session: AsyncSession, user: User) -> list[str]:
    rows = await session.scalars(
        select(PromptTemplate.category)
        .where(_visible_to(user), PromptTemplate.category.is_not(None))
        .distinct()
        .order_by(PromptTemplate.category)
    )
    return [row for row in rows if row]


async def tags(session: AsyncSession, user: User) -> list[str]:
    elements = _tag_values(session)
    rows = await session.scalars(
        select(elements.c.value)
        .select_from(PromptTemplate)
        .join(elements, elements.c.value.is_not(None))
        .where(_visible_to(user))
        .distinct()
        .order_by(elements.c.value)
    )
    return [str(row) for row in rows]


async def get_version(
    session: AsyncSession, template: PromptTemplate, version: int
) -> PromptTemplateVersion:
    row = await session.scalar(
        select(PromptTemplateVersion).where(
            PromptTemplateVersion.template_id == template.id,
            PromptTemplateVersion.version == version,
        )
    )
    if row is None:
        raise NotFound(
            f"Template '{template.name}' has no version {version}.", code="version_not_found"
        )
    return row


async def versions(
    session: AsyncSession, template: PromptTemplate, params: PageParams
) -> tuple[list[PromptTemplateVersion], int]:
    statement = (
        select(PromptTemplateVersion)
        .where(PromptTemplateVersion.template_id == template.id)
        .order_by(PromptTemplateVersion.version.desc())
    )
    return await paginate(session, statement, params)


def diff(old: PromptTemplateVersion, new: PromptTemplateVersion) -> PromptDiff:
    """Pure (CPU-bound on long bodies: call it in a thread)."""
    fields = {
        field: (getattr(old, field), getattr(new, field))
        for field in METADATA_FIELDS
        if getattr(old, field) != getattr(new, field)
    }
    old_lines, new_lines = old.body.splitlines(), new.body.splitlines()
    unified = difflib.unified_diff(
        old_lines, new_lines, f"version {old.version}", f"version {new.version}", lineterm=""
    )
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(
                DiffLine(op="equal", text=old_lines[i], old_line=i + 1, new_line=j + 1)
                for i, j in zip(range(old_start, old_end), range(new_start, new_end), strict=True)
            )
            continue
        lines.extend(
            DiffLine(op="delete", text=old_lines[i], old_line=i + 1, new_line=None)
            for i in range(old_start, old_end)
        )
        lines.extend(
            DiffLine(op="insert", text=new_lines[j], old_line=None, new_line=j + 1)
            for j in range(new_start, new_end)
        )
    body_diff = "\n".join(unified)
    return PromptDiff(
        from_version=old.version,
        to_version=new.version,
        fields=fields,
        body_changed=old.body != new.body,
        body_diff=body_diff + "\n" if body_diff else "",
        lines=lines,
    )


def render(template: PromptTemplate, values: Mapping[str, str]) -> str:
    return rendering.render(template, None, values)
