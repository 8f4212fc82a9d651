from typing import Annotated

from fastapi import Query

from llmforge.audit import service
from llmforge.audit.schemas import AuditEntryRead, AuditFilter
from llmforge.auth.deps import AdminUser
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep

router = CapabilityRouter(prefix="/api/audit", tags=["audit"])


@router.get("")
async def list_entries(
    _: AdminUser,
    session: SessionDep,
    params: PageParamsDep,
    criteria: Annotated[AuditFilter, Query()],
) -> Page[AuditEntryRead]:
    rows, total = await service.search(session, criteria, params)
    return Page(
        items=[AuditEntryRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/actions")
async def list_actions(_: AdminUser, session: SessionDep) -> list[str]:
    return await service.distinct_actions(session)
