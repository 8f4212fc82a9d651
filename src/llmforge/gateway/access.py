"""Who is calling and what they may call: the presented key (known, not revoked, not expired,
its owner active), its rate limit, the model by its gateway name within the key's allowlist,
and the owner's monthly budget. One short read-only session; nothing is held during the call.

The key and its owner, the owner's catalogue, budget limits and each model's client come from
the read cache: a steady stream of calls reads the database only to add up a limited budget."""

import math
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.api_keys import service as keys
from llmforge.api_keys.models import ApiKey
from llmforge.core.cache import ReadCache
from llmforge.core.errors import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from llmforge.core.security import SecretBox, hash_opaque_token
from llmforge.db import utcnow
from llmforge.dify import service as dify
from llmforge.dify.chat import stand_ins
from llmforge.gateway.catalog import GatewayModel, catalog, find
from llmforge.gateway.ratelimit import RateLimiter
from llmforge.llm import ClientRegistry, LLMClient
from llmforge.providers.models import Model, Provider
from llmforge.providers.service import client_for
from llmforge.settings import Settings
from llmforge.usage.quotas import cached_limits, ensure_within_budget
from llmforge.usage.recorder import UsageRecorder
from llmforge.users.models import User


@dataclass(frozen=True)
class GatewayServices:
    settings: Settings
    box: SecretBox
    clients: ClientRegistry
    recorder: UsageRecorder
    factory: async_sessionmaker[AsyncSession]
    limiter: RateLimiter
    cache: ReadCache


@dataclass(frozen=True)
class Caller:
    key: ApiKey
    user: User
    session: AsyncSession
    """The request's read-only session, open until the model is resolved: it is closed before
    any upstream call, so no connection is held while a model answers."""


@dataclass(frozen=True)
class Target:
    """One call's model: its gateway entry, the model and provider usage is recorded under
    (stand-ins for a Dify app) and the client to call."""

    user_id: int
    entry: GatewayModel
    model: Model
    provider: Provider
    client: LLMClient


def _present(secret: str | None) -> str:
    if not secret or not secret.strip():
        raise Unauthorized(
            "You didn't provide an API key. Send it as 'Authorization: Bearer lf-...'; "
            "create one on the API keys page.",
            code="missing_api_key",
        )
    return secret.strip()


async def _authenticate(services: GatewayServices, session: AsyncSession, secret: str) -> Caller:
    found = await services.cache.get_or_load(
        ("api-key", hash_opaque_token(secret)), lambda: keys.find_key(session, secret)
    )
    if found is None:
        raise Unauthorized("Incorrect API key provided.", code="invalid_api_key")
    key, user = found
    if key.revoked_at is not None:
        raise Unauthorized(f"The API key '{key.name}' was revoked.", code="api_key_revoked")
    if key.expires_at is not None and key.expires_at <= utcnow():
        raise Unauthorized(f"The API key '{key.name}' has expired.", code="api_key_expired")
    if not user.is_active:
        raise Unauthorized("The owner of this API key is deactivated.", code="user_inactive")
    return Caller(key, user, session)


async def _within_rate(limiter: RateLimiter, key: ApiKey) -> None:
    if key.rate_limit_per_minute is None:
        return
    try:
        wait = await limiter.acquire(f"api-key:{key.id}", key.rate_limit_per_minute)
    except RedisError as exc:  # a limit that cannot be counted is not waived
        raise ServiceUnavailable(
            "The rate limiter is unreachable, so requests with a rate-limited key are refused "
            "for now. Please try again shortly.",
            code="rate_limiter_unavailable",
        ) from exc
    if wait is not None:
        raise TooManyRequests(
            f"Rate limit reached for this API key: {key.rate_limit_per_minute} requests "
            f"per minute. Please try again in {math.ceil(wait)}s.",
            code="rate_limit_exceeded",
            retry_after_seconds=max(1, math.ceil(wait)),
        )


async def authenticate(
    services: GatewayServices, session: AsyncSession, secret: str | None
) -> Caller:
    """The caller behind the bearer secret, counted against the key's rate limit."""
    caller = await _authenticate(services, session, _present(secret))
    await _within_rate(services.limiter, caller.key)
    await keys.note_use(services.factory, caller.key)
    return caller


def allowed(caller: Caller, entry: GatewayModel) -> bool:
    allowlist = caller.key.model_allowlist
    return not allowlist or entry.name in allowlist


async def _catalog(services: GatewayServices, caller: Caller) -> list[GatewayModel]:
    return await services.cache.get_or_load(
        ("catalog", caller.user.id), lambda: catalog(caller.session, caller.user)
    )


async def listed_models(services: GatewayServices, caller: Caller) -> list[GatewayModel]:
    return [entry for entry in await _catalog(services, caller) if allowed(caller, entry)]


async def _resolve(services: GatewayServices, caller: Caller, name: str) -> GatewayModel:
    entry = find(await _catalog(services, caller), name)
    if entry is None:
        raise NotFound(
            f"The model `{name}` does not exist or you do not have access to it.",
            code="model_not_found",
            details={"param": "model"},
        )
    if not allowed(caller, entry):
        raise Forbidden(
            f"This API key may not call `{entry.name}` (it is not on the key's model list).",
            code="model_not_allowed",
            details={"param": "model"},
        )
    return entry


def _target(services: GatewayServices, caller: Caller, entry: GatewayModel) -> Target:
    if entry.app is not None:
        app_client = dify.client_for(
            entry.app, services.box, services.clients, user_id=caller.user.id
        )
        model, provider = stand_ins(entry.app)
        return Target(caller.user.id, entry, model, provider, app_client)
    assert entry.model is not None and entry.provider is not None
    client = client_for(entry.provider, services.box, services.clients)
    return Target(caller.user.id, entry, entry.model, entry.provider, client)


async def _within_budget(services: GatewayServices, caller: Caller) -> None:
    user_id, session = caller.user.id, caller.session
    limits = await cached_limits(services.cache, session, services.settings, user_id)
    await ensure_within_budget(session, services.settings, services.recorder, user_id, limits)


async def _cached_target(services: GatewayServices, caller: Caller, entry: GatewayModel) -> Target:
    async def build() -> Target:  # decrypting the provider's secret costs more than the call
        return _target(services, caller, entry)

    return await services.cache.get_or_load(("target", caller.user.id, entry.name), build)


async def target_for(services: GatewayServices, caller: Caller, name: str) -> Target:
    """The model to call, once the owner's budget allows one more call."""
    try:
        entry = await _resolve(services, caller, name)
        await _within_budget(services, caller)
    finally:
        await caller.session.close()
    return await _cached_target(services, caller, entry)
