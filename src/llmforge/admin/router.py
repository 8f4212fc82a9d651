from llmforge.admin import dashboard, service
from llmforge.admin.schemas import AppSettingsRead, AppSettingsUpdate, Dashboard
from llmforge.audit import service as audit
from llmforge.auth.deps import AdminUser
from llmforge.core.client import ClientDep
from llmforge.core.deps import SettingsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.core.timerange import Since, Until, window
from llmforge.db import SessionDep, utcnow

router = CapabilityRouter(prefix="/api/admin", tags=["admin"])


@router.get("/settings")
async def read_settings(
    _: AdminUser, session: SessionDep, settings: SettingsDep
) -> AppSettingsRead:
    return await service.read(session, settings)


@router.get("/dashboard")
async def read_dashboard(
    _: AdminUser, session: SessionDep, since: Since = None, until: Until = None
) -> Dashboard:
    start, end = window(since, until)
    return Dashboard.model_validate(await dashboard.dashboard(session, start, end, utcnow()))


@router.patch("/settings")
async def update_settings(
    changes: AppSettingsUpdate,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> AppSettingsRead:
    updated, changed = await service.update(session, settings, changes)
    if changed:
        await audit.record(
            session,
            "settings.update",
            actor=admin,
            client=client,
            target_type="settings",
            detail=changed,
        )
    return updated
