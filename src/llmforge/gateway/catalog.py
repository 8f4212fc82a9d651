"""The models the gateway offers a user, each under one name: `<provider>/<model id>` for a
provider's model (served fine-tuned versions included: they are registered as provider models)
and `dify/<app name>` for a Dify app. A model's bare id or display name works too when it
names exactly one of them."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.dify import service as dify
from llmforge.dify.chat import PROVIDER_NAME as DIFY
from llmforge.dify.models import DifyApp
from llmforge.providers.models import Model, Provider
from llmforge.providers.service import visible_models
from llmforge.users.models import User

EMBEDDING = "embedding"


@dataclass(frozen=True)
class GatewayModel:
    name: str
    owned_by: str
    created: datetime
    model: Model | None = None
    provider: Provider | None = None
    app: DifyApp | None = None
    aliases: tuple[str, ...] = field(default=(), repr=False)

    @property
    def embeds(self) -> bool:
        return self.model is not None and EMBEDDING in self.model.capabilities


def model_name(model: Model, provider: Provider) -> str:
    return f"{provider.name}/{model.model_id}"


def _provider_entry(model: Model, provider: Provider) -> GatewayModel:
    return GatewayModel(
        name=model_name(model, provider),
        owned_by=provider.name,
        created=model.created_at,
        model=model,
        provider=provider,
        aliases=(model.model_id, model.display_name),
    )


def _app_entries(apps: list[DifyApp], user: User) -> list[GatewayModel]:
    """Same-named apps (the user's own and a shared one) are told apart by their id."""
    ordered = sorted(apps, key=lambda app: (app.owner_id != user.id, app.id))
    seen: Counter[str] = Counter()
    entries = []
    for app in ordered:
        name = f"{DIFY}/{app.name}"
        seen[name.lower()] += 1
        unique = name if seen[name.lower()] == 1 else f"{name}#{app.id}"
        entries.append(GatewayModel(name=unique, owned_by=DIFY, created=app.created_at, app=app))
    return entries


async def _models(session: AsyncSession, user: User) -> list[GatewayModel]:
    return [
        _provider_entry(model, provider) for model, provider in await visible_models(session, user)
    ]


async def _apps(session: AsyncSession, user: User) -> list[GatewayModel]:
    return _app_entries([app for app in await dify.list_apps(session, user) if app.enabled], user)


async def catalog(session: AsyncSession, user: User) -> list[GatewayModel]:
    """Everything the user may call: enabled provider models, then enabled Dify apps."""
    return await _models(session, user) + await _apps(session, user)


def find(entries: list[GatewayModel], name: str) -> GatewayModel | None:
    """The entry named exactly `name`, else the one entry with `name` as its bare id or
    display name."""
    if (found := next((entry for entry in entries if entry.name == name), None)) is not None:
        return found
    matches = [entry for entry in entries if name in entry.aliases]
    return matches[0] if len(matches) == 1 else None
