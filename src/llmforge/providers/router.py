from typing import TypeVar

from fastapi import status

from llmforge.audit import service as audit
from llmforge.auth.deps import AdminUser, CurrentUser
from llmforge.core.client import ClientDep
from llmforge.core.deps import LLMClientsDep, SecretBoxDep, SettingsDep
from llmforge.core.ids import RowId
from llmforge.core.outbound import check_outbound_url
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.llm.presets import PRESETS, Preset
from llmforge.providers import service
from llmforge.providers.models import Model, Provider
from llmforge.providers.schemas import (
    ConnectionTestRequest,
    ConnectionTestResult,
    ModelAdminRead,
    ModelCreate,
    ModelRead,
    ModelUpdate,
    ProviderCreate,
    ProviderRead,
    ProviderUpdate,
    RefreshSummary,
)

router = CapabilityRouter(prefix="/api", tags=["providers"])
ReadT = TypeVar("ReadT", bound=ModelRead)


def provider_read(provider: Provider, model_count: int) -> ProviderRead:
    return ProviderRead.model_validate(
        {
            **{
                column: getattr(provider, column)
                for column in ProviderRead.model_fields
                if hasattr(provider, column)
            },
            "protocol": service.preset_of(provider).protocol,
            "has_api_key": provider.api_key_encrypted is not None,
            "model_count": model_count,
        }
    )


def model_read(schema: type[ReadT], model: Model, provider: Provider) -> ReadT:
    return schema.model_validate(
        {
            **{
                column: getattr(model, column)
                for column in schema.model_fields
                if hasattr(model, column)
            },
            "provider_name": provider.name,
        }
    )


@router.get("/providers/presets")
async def list_presets(_: AdminUser) -> list[Preset]:
    return list(PRESETS)


@router.get("/providers")
async def list_providers(_: AdminUser, session: SessionDep) -> list[ProviderRead]:
    return [provider_read(p, count) for p, count in await service.list_providers(session)]


@router.post("/providers", status_code=status.HTTP_201_CREATED)
async def create_provider(
    data: ProviderCreate,
    admin: AdminUser,
    session: SessionDep,
    box: SecretBoxDep,
    client: ClientDep,
    settings: SettingsDep,
) -> ProviderRead:
    provider = await service.create_provider(session, box, data)
    await check_outbound_url(provider.base_url, settings)  # refused: the request rolls back
    await audit.record(
        session,
        "provider.create",
        actor=admin,
        client=client,
        target_type="provider",
        target_id=str(provider.id),
        detail={
            "name": provider.name,
            "preset": provider.preset,
            "base_url": provider.base_url,
            "api_key": "set" if data.api_key else "none",
            "extra_headers": provider.extra_header_names,
        },
    )
    return provider_read(provider, 0)


@router.get("/providers/{provider_id}")
async def get_provider(provider_id: RowId, _: AdminUser, session: SessionDep) -> ProviderRead:
    provider = await service.get_provider(session, provider_id)
    return provider_read(provider, await service.model_count(session, provider))


@router.patch("/providers/{provider_id}")
async def update_provider(
    provider_id: RowId,
    changes: ProviderUpdate,
    admin: AdminUser,
    session: SessionDep,
    box: SecretBoxDep,
    clients: LLMClientsDep,
    client: ClientDep,
    settings: SettingsDep,
) -> ProviderRead:
    provider = await service.get_provider(session, provider_id)
    if changes.base_url:
        await check_outbound_url(str(changes.base_url), settings)
    changed = await service.update_provider(session, box, provider, changes)
    if changed:
        await clients.release(str(provider.id))
        await audit.record(
            session,
            "provider.update",
            actor=admin,
            client=client,
            target_type="provider",
            target_id=str(provider.id),
            detail=changed,
        )
    return provider_read(provider, await service.model_count(session, provider))


@router.delete("/providers/{provider_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_provider(
    provider_id: RowId,
    admin: AdminUser,
    session: SessionDep,
    clients: LLMClientsDep,
    client: ClientDep,
) -> None:
    provider = await service.get_provider(session, provider_id)
    name = provider.name
    await service.delete_provider(session, provider)
    await clients.release(str(provider_id))
    await audit.record(
        session,
        "provider.delete",
        actor=admin,
        client=client,
        target_type="provider",
        target_id=str(provider_id),
        detail={"name": name},
    )


@router.post("/providers/{provider_id}/refresh-models")
async def refresh_models(
    provider_id: RowId,
    admin: AdminUser,
    session: SessionDep,
    box: SecretBoxDep,
    clients: LLMClientsDep,
    client: ClientDep,
    settings: SettingsDep,
) -> RefreshSummary:
    provider = await service.get_provider(session, provider_id)
    await check_outbound_url(provider.base_url, settings)
    summary = await service.refresh_models(
        session, provider, service.client_for(provider, box, clients)
    )
    await audit.record(
        session,
        "provider.refresh_models",
        actor=admin,
        client=client,
        target_type="provider",
        target_id=str(provider.id),
        detail=summary.model_dump(exclude={"unchanged", "total"}),
    )
    return summary


@router.post("/providers/{provider_id}/test")
async def test_connection(
    provider_id: RowId,
    body: ConnectionTestRequest,
    _: AdminUser,
    session: SessionDep,
    box: SecretBoxDep,
    clients: LLMClientsDep,
    settings: SettingsDep,
) -> ConnectionTestResult:
    provider = await service.get_provider(session, provider_id)
    await check_outbound_url(provider.base_url, settings)
    return await service.test_connection(
        session, provider, service.client_for(provider, box, clients), body.model
    )


@router.get("/providers/{provider_id}/models")
async def list_provider_models(
    provider_id: RowId, _: AdminUser, session: SessionDep
) -> list[ModelAdminRead]:
    provider = await service.get_provider(session, provider_id)
    models = await service.provider_models(session, provider)
    return [model_read(ModelAdminRead, model, provider) for model in models]


@router.post("/providers/{provider_id}/models", status_code=status.HTTP_201_CREATED)
async def add_model(
    provider_id: RowId, data: ModelCreate, admin: AdminUser, session: SessionDep, client: ClientDep
) -> ModelAdminRead:
    provider = await service.get_provider(session, provider_id)
    model = await service.add_model(session, provider, data)
    await audit.record(
        session,
        "model.create",
        actor=admin,
        client=client,
        target_type="model",
        target_id=str(model.id),
        detail={"provider": provider.name, "model_id": model.model_id},
    )
    return model_read(ModelAdminRead, model, provider)


@router.get("/models")
async def list_visible_models(user: CurrentUser, session: SessionDep) -> list[ModelRead]:
    """The models the caller may use."""
    return [model_read(ModelRead, m, p) for m, p in await service.visible_models(session, user)]


@router.patch("/models/{model_id}")
async def update_model(
    model_id: RowId, changes: ModelUpdate, admin: AdminUser, session: SessionDep, client: ClientDep
) -> ModelAdminRead:
    model, provider = await service.get_model(session, model_id)
    changed = await service.update_model(session, model, changes)
    if changed:
        await audit.record(
            session,
            "model.update",
            actor=admin,
            client=client,
            target_type="model",
            target_id=str(model.id),
            detail=changed,
        )
    return model_read(ModelAdminRead, model, provider)


@router.delete("/models/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_model(
    model_id: RowId, admin: AdminUser, session: SessionDep, client: ClientDep
) -> None:
    model, provider = await service.get_model(session, model_id)
    await service.delete_model(session, model)
    await audit.record(
        session,
        "model.delete",
        actor=admin,
        client=client,
        target_type="model",
        target_id=str(model_id),
        detail={"provider": provider.name, "model_id": model.model_id},
    )
