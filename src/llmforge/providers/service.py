"""Providers and their models: encrypted secrets, model sync, connection tests, visibility."""

import json
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.core.security import SecretBox, mask_secret
from llmforge.db import utcnow
from llmforge.llm.base import LLMClient, ProviderConfig, RemoteModel, TimeoutSettings
from llmforge.llm.clients import ClientRegistry
from llmforge.llm.factory import create_client
from llmforge.llm.presets import Preset, get_preset
from llmforge.providers.models import Model, Provider, Visibility
from llmforge.providers.schemas import (
    ConnectionTestResult,
    ModelCreate,
    ModelFields,
    ProviderCreate,
    ProviderUpdate,
    RefreshSummary,
)
from llmforge.users.models import User


def preset_of(provider: Provider) -> Preset:
    preset = get_preset(provider.preset)
    if preset is None:  # a preset removed from a later version; the row stays readable
        raise InvalidInput(f"Unknown provider preset '{provider.preset}'.", code="unknown_preset")
    return preset


def _require_preset(preset_id: str) -> Preset:
    preset = get_preset(preset_id)
    if preset is None:
        raise InvalidInput(f"There is no provider preset '{preset_id}'.", code="unknown_preset")
    return preset


def _default_base_url(preset: Preset) -> str:
    if "YOUR-" in preset.base_url:
        raise InvalidInput(
            f"{preset.name} needs the base URL of your own resource.", code="base_url_required"
        )
    return preset.base_url


async def get_provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.", code="provider_not_found")
    return provider


async def list_providers(session: AsyncSession) -> list[tuple[Provider, int]]:
    counts = (
        select(Model.provider_id, func.count().label("models"))
        .group_by(Model.provider_id)
        .subquery()
    )
    rows = await session.execute(
        select(Provider, func.coalesce(counts.c.models, 0))
        .outerjoin(counts, counts.c.provider_id == Provider.id)
        .order_by(Provider.name)
    )
    return [(provider, int(count)) for provider, count in rows.all()]


async def model_count(session: AsyncSession, provider: Provider) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Model).where(Model.provider_id == provider.id)
    )
    return int(count or 0)


async def _ensure_name_free(
    session: AsyncSession, name: str, provider_id: int | None = None
) -> None:
    clash = await session.scalar(
        select(Provider.id).where(func.lower(Provider.name) == name.lower())
    )
    if clash is not None and clash != provider_id:
        raise Conflict(f"A provider named '{name}' already exists.", code="provider_name_taken")


def _set_api_key(provider: Provider, box: SecretBox, api_key: str | None) -> None:
    provider.api_key_encrypted = box.encrypt(api_key) if api_key else None
    provider.api_key_hint = mask_secret(api_key) if api_key else None


def _set_headers(provider: Provider, box: SecretBox, headers: dict[str, str]) -> None:
    provider.extra_headers_encrypted = box.encrypt(json.dumps(headers)) if headers else None
    provider.extra_header_names = sorted(headers)


async def create_provider(session: AsyncSession, box: SecretBox, data: ProviderCreate) -> Provider:
    preset = _require_preset(data.preset)
    await _ensure_name_free(session, data.name)
    provider = Provider(
        name=data.name,
        preset=preset.id,
        base_url=data.base_url or _default_base_url(preset),
        timeout_seconds=data.timeout_seconds,
        enabled=data.enabled,
    )
    _set_api_key(provider, box, data.api_key)
    _set_headers(provider, box, data.extra_headers)
    session.add(provider)
    await session.flush()
    return provider


async def update_provider(
    session: AsyncSession, box: SecretBox, provider: Provider, changes: ProviderUpdate
) -> dict[str, Any]:
    """Apply the changes; return an audit-safe description of what changed (no secrets)."""
    fields = changes.model_dump(exclude_unset=True)
    changed: dict[str, Any] = {}
    if fields.get("name") and fields["name"] != provider.name:
        await _ensure_name_free(session, fields["name"], provider.id)
    for name in ("name", "base_url", "timeout_seconds", "enabled"):
        value = fields.get(name)
        if value is not None and getattr(provider, name) != value:
            setattr(provider, name, value)
            changed[name] = value
    if "api_key" in fields:
        _set_api_key(provider, box, fields["api_key"])
        changed["api_key"] = "replaced" if fields["api_key"] else "removed"
    if fields.get("extra_headers") is not None:
        _set_headers(provider, box, fields["extra_headers"])
        changed["extra_headers"] = provider.extra_header_names
    await session.flush()
    return changed


async def delete_provider(session: AsyncSession, provider: Provider) -> None:
    await session.delete(provider)
    await session.flush()


def provider_config(provider: Provider, box: SecretBox) -> ProviderConfig:
    headers = (
        json.loads(box.decrypt(provider.extra_headers_encrypted))
        if provider.extra_headers_encrypted
        else {}
    )
    return preset_of(provider).config(
        api_key=box.decrypt(provider.api_key_encrypted) if provider.api_key_encrypted else None,
        base_url=provider.base_url,
        extra_headers=headers,
        timeouts=TimeoutSettings(
            connect=min(10.0, provider.timeout_seconds),
            first_byte=provider.timeout_seconds,
            idle=provider.timeout_seconds,
            total=max(600.0, provider.timeout_seconds),
        ),
        provider_id=str(provider.id),
    )


def client_for(provider: Provider, box: SecretBox, clients: ClientRegistry) -> LLMClient:
    return create_client(provider_config(provider, box), clients=clients)


async def refresh_models(
    session: AsyncSession, provider: Provider, client: LLMClient
) -> RefreshSummary:
    """Merge the provider's model list: new models arrive disabled, vanished ones are marked
    unavailable, and nothing is deleted. Nothing is written when the upstream call fails."""
    remote = {model.id: model for model in await client.list_models()}
    existing = {
        model.model_id: model
        for model in await session.scalars(select(Model).where(Model.provider_id == provider.id))
    }
    added = [_new_model(provider, remote[model_id]) for model_id in remote.keys() - existing.keys()]
    session.add_all(added)
    restored = [m for model_id, m in existing.items() if model_id in remote and not m.available]
    vanished = [m for model_id, m in existing.items() if model_id not in remote and m.available]
    for model in restored:
        model.available = True
    for model in vanished:
        model.available = False
    provider.last_refreshed_at = utcnow()
    await session.flush()
    return RefreshSummary(
        added=sorted(model.model_id for model in added),
        restored=sorted(model.model_id for model in restored),
        unavailable=sorted(model.model_id for model in vanished),
        unchanged=len(existing) - len(restored) - len(vanished),
        total=len(existing) + len(added),
    )


def _new_model(provider: Provider, remote: RemoteModel) -> Model:
    return Model(
        provider_id=provider.id,
        model_id=remote.id,
        display_name=remote.display_name or remote.id,
        capabilities=list(remote.capabilities) or ["chat"],
        context_length=remote.context_length,
        parameters={},
        enabled=False,
        available=True,
        visibility=Visibility.all,
        allowed_roles=[],
        allowed_user_ids=[],
    )


async def test_connection(
    session: AsyncSession, provider: Provider, client: LLMClient, model: str | None
) -> ConnectionTestResult:
    report = await client.test_connection(model)
    result = ConnectionTestResult(**report.model_dump(), tested_at=utcnow(), model=model)
    provider.last_test = result.model_dump(mode="json")
    await session.flush()
    return result


async def provider_models(session: AsyncSession, provider: Provider) -> list[Model]:
    rows = await session.scalars(
        select(Model).where(Model.provider_id == provider.id).order_by(Model.model_id)
    )
    return list(rows)


async def get_model(session: AsyncSession, model_id: int) -> tuple[Model, Provider]:
    row = (
        await session.execute(select(Model, Provider).join(Provider).where(Model.id == model_id))
    ).first()
    if row is None:
        raise NotFound(f"Model {model_id} does not exist.", code="model_not_found")
    model, provider = row
    return model, provider


def _storable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_defaults=True)
    if isinstance(value, list):
        return [item.value if isinstance(item, Enum) else item for item in value]
    return value


def _apply_model_fields(model: Model, fields: ModelFields) -> dict[str, Any]:
    """Set what was given; return {field: new value as JSON} for what actually changed."""
    as_json = fields.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    changed: dict[str, Any] = {}
    for name, json_value in as_json.items():
        stored = _storable(getattr(fields, name))
        if getattr(model, name) != stored:
            setattr(model, name, stored)
            changed[name] = json_value
    return changed


async def add_model(session: AsyncSession, provider: Provider, data: ModelCreate) -> Model:
    clash = await session.scalar(
        select(Model.id).where(Model.provider_id == provider.id, Model.model_id == data.model_id)
    )
    if clash is not None:
        raise Conflict(
            f"{provider.name} already has a model '{data.model_id}'.", code="model_exists"
        )
    model = _new_model(provider, RemoteModel(id=data.model_id, display_name=data.model_id))
    model.enabled = True
    _apply_model_fields(model, data)
    session.add(model)
    await session.flush()
    return model


async def update_model(session: AsyncSession, model: Model, changes: ModelFields) -> dict[str, Any]:
    changed = _apply_model_fields(model, changes)
    await session.flush()
    return changed


async def delete_model(session: AsyncSession, model: Model) -> None:
    await session.delete(model)
    await session.flush()


def is_visible_to(model: Model, user: User) -> bool:
    if model.visibility is Visibility.all:
        return True
    return user.role.value in model.allowed_roles or user.id in model.allowed_user_ids


async def visible_models(session: AsyncSession, user: User) -> list[tuple[Model, Provider]]:
    """What a user may see and call: enabled, available models of enabled providers."""
    rows = await session.execute(
        select(Model, Provider)
        .join(Provider)
        .where(Model.enabled.is_(True), Model.available.is_(True), Provider.enabled.is_(True))
        .order_by(Provider.name, Model.display_name)
    )
    return [(model, provider) for model, provider in rows.all() if is_visible_to(model, user)]


async def usable_model(session: AsyncSession, user: User, model_id: int) -> tuple[Model, Provider]:
    """A model the user may call; anything else (unknown, disabled, hidden) is a 404."""
    row = (
        await session.execute(
            select(Model, Provider)
            .join(Provider)
            .where(
                Model.id == model_id,
                Model.enabled.is_(True),
                Model.available.is_(True),
                Provider.enabled.is_(True),
            )
        )
    ).first()
    if row is None or not is_visible_to(row[0], user):
        raise NotFound(f"Model {model_id} is not available to you.", code="model_not_found")
    model, provider = row
    return model, provider
