from fastapi import BackgroundTasks, status

from llmforge.audit import service as audit
from llmforge.auth.deps import AdminUser, CurrentUser
from llmforge.core.client import ClientDep
from llmforge.core.deps import SettingsDep
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.serving import service
from llmforge.serving.deps import OwnedVersion, SupervisorDep
from llmforge.serving.models import ModelVersion
from llmforge.serving.schemas import VersionCreate, VersionRead
from llmforge.users.models import User

router = CapabilityRouter(prefix="/api/model-versions", tags=["model-versions"])


async def _audit(
    session: SessionDep, action: str, user: User, client: ClientDep, version: ModelVersion
) -> None:
    await audit.record(
        session,
        action,
        actor=user,
        client=client,
        target_type="model_version",
        target_id=str(version.id),
        detail={"name": version.name},
    )


@router.get("")
async def list_versions(
    user: CurrentUser, session: SessionDep, params: PageParamsDep
) -> Page[VersionRead]:
    """Your versions (an admin sees everyone's), newest first."""
    rows, total = await service.list_versions(session, user, params)
    return Page(
        items=[VersionRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_version(
    data: VersionCreate,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> VersionRead:
    """Register an existing adapter directory (inside the model roots or the data directory)
    on a base model. Training jobs register their versions themselves."""
    version = await service.create_version(session, settings, admin, data)
    await _audit(session, "model_version.create", admin, client, version)
    return VersionRead.model_validate(version)


@router.get("/{version_id}")
async def get_version(version: OwnedVersion) -> VersionRead:
    return VersionRead.model_validate(version)


@router.post("/{version_id}/serve", status_code=status.HTTP_202_ACCEPTED)
async def serve_version(
    version: OwnedVersion,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    supervisor: SupervisorDep,
    background: BackgroundTasks,
    client: ClientDep,
) -> VersionRead:
    """Start `llamafactory-cli api` for it: `starting`, then `serving` once it answers, when
    it is also a chat model (restricted to the owner and admins). 409 `already_serving`,
    `too_many_served`."""
    await service.request_serve(session, settings, version)
    await _audit(session, "model_version.serve", user, client, version)
    background.add_task(supervisor.serve, version.id)  # after the commit
    return VersionRead.model_validate(version)


@router.post("/{version_id}/stop")
async def stop_version(
    version: OwnedVersion,
    user: CurrentUser,
    session: SessionDep,
    supervisor: SupervisorDep,
    client: ClientDep,
) -> VersionRead:
    """Stop the server (its process group is gone when this answers) and disable its chat
    model. 409 `not_serving`."""
    service.check_stoppable(version)
    await supervisor.stop(version.id)
    await session.refresh(version)
    await _audit(session, "model_version.stop", user, client, version)
    return VersionRead.model_validate(version)


@router.post("/{version_id}/export", status_code=status.HTTP_202_ACCEPTED)
async def export_version(
    version: OwnedVersion,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    supervisor: SupervisorDep,
    background: BackgroundTasks,
    client: ClientDep,
) -> VersionRead:
    """Merge the adapter into the base model with `llamafactory-cli export` (export_status
    `running` → `succeeded` | `failed`; the files go to export_dir). 409 `nothing_to_merge`,
    `export_running`."""
    await service.request_export(session, settings, version)
    await _audit(session, "model_version.export", user, client, version)
    background.add_task(supervisor.export, version.id)
    return VersionRead.model_validate(version)


@router.delete("/{version_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_version(
    version: OwnedVersion,
    user: CurrentUser,
    session: SessionDep,
    supervisor: SupervisorDep,
    client: ClientDep,
) -> None:
    """Stops its server and export first; its files on disk stay."""
    await supervisor.forget_version(version.id)
    await _audit(session, "model_version.delete", user, client, version)
    await service.delete_version(session, version)
