import asyncio
from typing import Annotated

from fastapi import Path, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.audit import service as audit
from llmforge.auth.deps import CurrentUser
from llmforge.core.client import ClientDep, ClientInfo
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.prompts import rendering, service
from llmforge.prompts.deps import EditableTemplate, VisibleTemplate
from llmforge.prompts.models import PromptTemplate
from llmforge.prompts.schemas import (
    PreviewRequest,
    PromptDiff,
    PromptTemplateCreate,
    PromptTemplateRead,
    PromptTemplateUpdate,
    PromptVersionRead,
    RenderRequest,
    RenderResult,
)
from llmforge.prompts.service import Scope
from llmforge.users.models import User

router = CapabilityRouter(prefix="/api/prompts", tags=["prompts"])
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def template_read(template: PromptTemplate, user: User) -> PromptTemplateRead:
    return PromptTemplateRead.model_validate(
        {
            **{
                column: getattr(template, column)
                for column in PromptTemplateRead.model_fields
                if hasattr(template, column)
            },
            "editable": service.can_edit(template, user),
        }
    )


async def record(
    session: AsyncSession,
    action: str,
    user: User,
    client: ClientInfo,
    template: PromptTemplate,
    **extra: object,
) -> None:
    await audit.record(
        session,
        action,
        actor=user,
        client=client,
        target_type="prompt_template",
        target_id=str(template.id),
        detail={"name": template.name, "version": template.current_version, **extra},
    )


@router.get("")
async def list_templates(
    user: CurrentUser,
    session: SessionDep,
    params: PageParamsDep,
    q: Annotated[
        str | None, Query(max_length=200, description="name, description or body contains")
    ] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    scope: Scope = Scope.all,
) -> Page[PromptTemplateRead]:
    """The caller's own templates and the shared ones, most recently changed first."""
    rows, total = await service.search(
        session, user, params, query=q, category=category, tag=tag, scope=scope
    )
    return Page(
        items=[template_read(row, user) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/categories")
async def list_categories(user: CurrentUser, session: SessionDep) -> list[str]:
    return await service.categories(session, user)


@router.get("/tags")
async def list_tags(user: CurrentUser, session: SessionDep) -> list[str]:
    return await service.tags(session, user)


@router.post("/preview")
async def preview(body: PreviewRequest, _: CurrentUser) -> RenderResult:
    """Render an unsaved body (the editor's live preview); the same checks as saving."""
    return RenderResult(text=rendering.render(body.body, body.variables, body.values))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_template(
    data: PromptTemplateCreate, user: CurrentUser, session: SessionDep, client: ClientDep
) -> PromptTemplateRead:
    template = await service.create(session, user, data)
    await record(session, "prompt.create", user, client, template, shared=template.shared)
    return template_read(template, user)


@router.get("/{template_id}")
async def get_template(template: VisibleTemplate, user: CurrentUser) -> PromptTemplateRead:
    return template_read(template, user)


@router.patch("/{template_id}")
async def update_template(
    changes: PromptTemplateUpdate,
    template: EditableTemplate,
    user: CurrentUser,
    session: SessionDep,
    client: ClientDep,
) -> PromptTemplateRead:
    """A change of content makes a new version; a request that changes nothing makes none."""
    summary = await service.update(session, user, template, changes)
    if summary:
        await record(session, "prompt.update", user, client, template, **summary)
    return template_read(template, user)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(
    template: EditableTemplate, user: CurrentUser, session: SessionDep, client: ClientDep
) -> None:
    await record(session, "prompt.delete", user, client, template)
    await service.delete(session, template)


@router.get("/{template_id}/versions")
async def list_versions(
    template: VisibleTemplate, session: SessionDep, params: PageParamsDep
) -> Page[PromptVersionRead]:
    """Newest first."""
    rows, total = await service.versions(session, template, params)
    return Page(
        items=[PromptVersionRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/{template_id}/versions/{version}")
async def get_version(
    template: VisibleTemplate, version: Version, session: SessionDep
) -> PromptVersionRead:
    return PromptVersionRead.model_validate(await service.get_version(session, template, version))


@router.get("/{template_id}/diff")
async def diff_versions(
    template: VisibleTemplate,
    session: SessionDep,
    from_version: VersionQuery = None,
    to_version: VersionQuery = None,
) -> PromptDiff:
    """Compare two versions; by default the current one with the one before it."""
    newer = to_version or template.current_version
    older = from_version or max(newer - 1, 1)
    old = await service.get_version(session, template, older)
    new = await service.get_version(session, template, newer)
    return await asyncio.to_thread(service.diff, old, new)


@router.post("/{template_id}/restore/{version}")
async def restore_version(
    template: EditableTemplate,
    version: Version,
    user: CurrentUser,
    session: SessionDep,
    client: ClientDep,
) -> PromptTemplateRead:
    """Make a new version with the content of `version`."""
    await service.restore(session, user, template, version)
    await record(session, "prompt.restore", user, client, template, restored_from=version)
    return template_read(template, user)


@router.post("/{template_id}/render")
async def render_template(template: VisibleTemplate, body: RenderRequest) -> RenderResult:
    return RenderResult(text=service.render(template, body.values))
