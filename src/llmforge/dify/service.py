"""Dify apps: registration with an encrypted key, visibility, connection tests, clients."""

from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.core.errors import Conflict, Forbidden, NotFound
from llmforge.core.security import SecretBox, mask_secret
from llmforge.db import utcnow
from llmforge.dify.client import ConversationHook, DifyCall, DifyClient
from llmforge.dify.models import DifyApp
from llmforge.dify.schemas import AppStatus, DifyAppCreate, DifyAppRead, DifyAppUpdate
from llmforge.llm.base import ProviderConfig, RetrySettings, TimeoutSettings
from llmforge.llm.clients import ClientRegistry
from llmforge.providers.schemas import ConnectionTestResult
from llmforge.users.models import Role, User

TIMEOUTS = TimeoutSettings(connect=10.0, first_byte=120.0, idle=120.0, total=900.0)
"""Agents and workflows may think or call tools for a while before their first words."""


def _is_admin(user: User) -> bool:
    return user.role is Role.admin


def can_edit(app: DifyApp, user: User) -> bool:
    return app.owner_id == user.id or _is_admin(user)


def status_of(app: DifyApp) -> AppStatus:
    if not app.enabled:
        return "disabled"
    if app.last_test is None:
        return "untested"
    return "ok" if app.last_test.get("outcome") == "ok" else "failing"


def app_read(app: DifyApp, user: User) -> DifyAppRead:
    fields = {name: getattr(app, name) for name in DifyAppRead.model_fields if hasattr(app, name)}
    return DifyAppRead.model_validate(
        {**fields, "status": status_of(app), "editable": can_edit(app, user)}
    )


def _visible_to(user: User) -> Any:
    if _is_admin(user):
        return True
    return or_(DifyApp.owner_id == user.id, DifyApp.shared.is_(True))


async def list_apps(session: AsyncSession, user: User) -> list[DifyApp]:
    rows = await session.scalars(
        select(DifyApp).where(_visible_to(user)).order_by(func.lower(DifyApp.name), DifyApp.id)
    )
    return list(rows)


async def visible_app(session: AsyncSession, user: User, app_id: int) -> DifyApp:
    """An app the user may see and use; anything else is a 404."""
    app = await session.get(DifyApp, app_id)
    if app is None or not (app.shared or can_edit(app, user)):
        raise NotFound(f"Dify app {app_id} does not exist.", code="dify_app_not_found")
    return app


async def usable_app(session: AsyncSession, user: User, app_id: int) -> DifyApp:
    app = await visible_app(session, user, app_id)
    if not app.enabled:
        raise NotFound(f"Dify app {app_id} is disabled.", code="dify_app_not_found")
    return app


async def editable_app(session: AsyncSession, user: User, app_id: int) -> DifyApp:
    app = await visible_app(session, user, app_id)
    if not can_edit(app, user):
        raise Forbidden(
            "Only the app's owner or an admin can change it.", code="dify_app_not_editable"
        )
    return app


def _check_sharing(user: User, shared: bool | None) -> None:
    if shared and not _is_admin(user):
        raise Forbidden("Only an admin can share an app with everyone.", code="sharing_admin_only")


async def _ensure_name_free(
    session: AsyncSession, owner_id: int, name: str, app_id: int | None = None
) -> None:
    clash = await session.scalar(
        select(DifyApp.id).where(
            DifyApp.owner_id == owner_id, func.lower(DifyApp.name) == name.lower()
        )
    )
    if clash is not None and clash != app_id:
        raise Conflict(f"You already have a Dify app named '{name}'.", code="dify_app_name_taken")


def _set_key(app: DifyApp, box: SecretBox, api_key: str) -> None:
    app.api_key_encrypted = box.encrypt(api_key)
    app.api_key_hint = mask_secret(api_key)


async def create_app(
    session: AsyncSession, box: SecretBox, user: User, data: DifyAppCreate
) -> DifyApp:
    _check_sharing(user, data.shared)
    await _ensure_name_free(session, user.id, data.name)
    app = DifyApp(
        owner_id=user.id,
        name=data.name,
        base_url=data.base_url,
        app_type=data.app_type,
        input_variable=data.input_variable,
        shared=data.shared,
        enabled=data.enabled,
    )
    _set_key(app, box, data.api_key)
    session.add(app)
    await session.flush()
    return app


async def update_app(
    session: AsyncSession, box: SecretBox, user: User, app: DifyApp, changes: DifyAppUpdate
) -> dict[str, Any]:
    """Apply the changes; return an audit-safe description of what changed (no key)."""
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    _check_sharing(user, fields.get("shared"))
    if "name" in fields:
        await _ensure_name_free(session, app.owner_id, fields["name"], app.id)
    changed: dict[str, Any] = {}
    for name, value in fields.items():
        if name != "api_key" and getattr(app, name) != value:
            setattr(app, name, value)
            changed[name] = value
    if "api_key" in fields:
        _set_key(app, box, fields["api_key"])
        changed["api_key"] = "replaced"
    if changed.keys() & {"base_url", "api_key", "app_type"}:
        app.last_test = None  # the last result says nothing about the new settings
    await session.flush()
    return changed


async def delete_app(session: AsyncSession, app: DifyApp) -> None:
    await session.delete(app)
    await session.flush()


def app_config(app: DifyApp, box: SecretBox) -> ProviderConfig:
    return ProviderConfig(
        protocol="dify",
        base_url=app.base_url,
        api_key=SecretStr(box.decrypt(app.api_key_encrypted)),
        timeouts=TIMEOUTS,
        retry=RetrySettings(max_attempts=2),
        provider_id=f"dify-{app.id}",
    )


def end_user(user_id: int) -> str:
    """The end-user identifier Dify keeps conversations under."""
    return f"llmforge-user-{user_id}"


def client_for(
    app: DifyApp,
    box: SecretBox,
    clients: ClientRegistry,
    *,
    user_id: int,
    conversation_id: str = "",
    on_conversation: ConversationHook | None = None,
) -> DifyClient:
    config = app_config(app, box)
    call = DifyCall(
        app_type=app.app_type,
        user=end_user(user_id),
        input_variable=app.input_variable,
        conversation_id=conversation_id,
    )
    return DifyClient(config, clients.get(config), call, on_conversation)


async def test_connection(
    session: AsyncSession, app: DifyApp, client: DifyClient
) -> ConnectionTestResult:
    report = await client.test_connection()
    result = ConnectionTestResult(**report.model_dump(), tested_at=utcnow())
    app.last_test = result.model_dump(mode="json")
    await session.flush()
    return result


def mark_used(app: DifyApp) -> None:
    app.last_used_at = utcnow()
