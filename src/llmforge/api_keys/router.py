from fastapi import status

from llmforge.api_keys import service
from llmforge.api_keys.deps import OwnedKey
from llmforge.api_keys.models import ApiKey
from llmforge.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, GatewayModelName
from llmforge.audit import service as audit
from llmforge.auth.deps import CurrentUser
from llmforge.core.client import ClientDep, ClientInfo
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.gateway.catalog import catalog
from llmforge.users.models import User

router = CapabilityRouter(prefix="/api/api-keys", tags=["api-keys"])


async def _audit(
    session: SessionDep, action: str, user: User, client: ClientInfo, key: ApiKey
) -> None:
    await audit.record(
        session,
        action,
        actor=user,
        client=client,
        target_type="api_key",
        target_id=str(key.id),
        detail={"name": key.name, "prefix": key.prefix},
    )


@router.get("")
async def list_keys(user: CurrentUser, session: SessionDep) -> list[ApiKeyRead]:
    """Your keys, newest first, revoked ones included (never their secrets)."""
    return [ApiKeyRead.model_validate(key) for key in await service.list_keys(session, user)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_key(
    data: ApiKeyCreate, user: CurrentUser, session: SessionDep, client: ClientDep
) -> ApiKeyCreated:
    """A new key; `secret` is in this answer only. Unknown allowlist names → 422
    `unknown_model`; an expiry in the past → 422 `expiry_in_past`."""
    key, secret = await service.create_key(session, user, data)
    await _audit(session, "api_key.create", user, client, key)
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "secret": secret}
    )


@router.get("/models")
async def list_gateway_models(user: CurrentUser, session: SessionDep) -> list[GatewayModelName]:
    """The names the gateway knows your models by (what /v1/models lists for your keys)."""
    return [
        GatewayModelName(
            name=entry.name,
            owned_by=entry.owned_by,
            kind="dify" if entry.app is not None else "model",
            embeds=entry.embeds,
        )
        for entry in await catalog(session, user)
    ]


@router.post("/{key_id}/revoke")
async def revoke_key(
    key: OwnedKey, user: CurrentUser, session: SessionDep, client: ClientDep
) -> ApiKeyRead:
    """The key stops working at once; it stays listed as revoked."""
    already = key.revoked_at is not None
    await service.revoke_key(session, key)
    if not already:
        await _audit(session, "api_key.revoke", user, client, key)
    return ApiKeyRead.model_validate(key)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_key(
    key: OwnedKey, user: CurrentUser, session: SessionDep, client: ClientDep
) -> None:
    """Remove the key from the list (a key still in use stops working too)."""
    await _audit(session, "api_key.delete", user, client, key)
    await service.delete_key(session, key)
