"""Ownership-checked lookups (another user's version is a 404) and the supervisor."""

from typing import Annotated

from fastapi import Depends, Path, Request

from llmforge.auth.deps import CurrentUser
from llmforge.db import SessionDep
from llmforge.serving import service
from llmforge.serving.models import ModelVersion
from llmforge.serving.supervisor import ServingSupervisor

VersionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def owned_version(
    version_id: VersionId, user: CurrentUser, session: SessionDep
) -> ModelVersion:
    return await service.owned_version(session, user, version_id)


async def get_supervisor(request: Request) -> ServingSupervisor:
    supervisor: ServingSupervisor = request.app.state.serving_supervisor
    return supervisor


OwnedVersion = Annotated[ModelVersion, Depends(owned_version)]
SupervisorDep = Annotated[ServingSupervisor, Depends(get_supervisor)]
