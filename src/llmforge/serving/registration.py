"""A served version as a chat model: one "OpenAI-compatible server" provider per version,
pointing at the loopback port, with one model restricted to the owner and admins. Stopping
disables both; the rows stay so chat history keeps its model."""

from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.core.security import SecretBox, mask_secret
from llmforge.providers.models import Model, Provider, Visibility
from llmforge.serving.models import ModelVersion

PRESET = "openai-compatible"
PROVIDER_TIMEOUT_SECONDS = 300.0


def provider_name(version: ModelVersion) -> str:
    return f"Fine-tuned {version.name} #{version.id}"


async def _provider(session: AsyncSession, version: ModelVersion) -> Provider:
    provider = await session.get(Provider, version.provider_id) if version.provider_id else None
    if provider is None:
        provider = Provider(
            name=provider_name(version),
            preset=PRESET,
            base_url="",
            extra_header_names=[],
            timeout_seconds=PROVIDER_TIMEOUT_SECONDS,
        )
        session.add(provider)
        await session.flush()
        version.provider_id = provider.id
    return provider


async def _model(session: AsyncSession, version: ModelVersion, provider: Provider) -> Model:
    model = await session.get(Model, version.served_model_id) if version.served_model_id else None
    if model is None:
        model = Model(
            provider_id=provider.id,
            model_id=version.name,
            display_name=version.name,
            capabilities=["chat"],
            parameters={},
            visibility=Visibility.restricted,
            allowed_roles=["admin"],
            allowed_user_ids=[version.user_id],
        )
        session.add(model)
        await session.flush()
        version.served_model_id = model.id
    return model


async def register(
    session: AsyncSession, box: SecretBox, version: ModelVersion, port: int, api_key: str
) -> None:
    provider = await _provider(session, version)
    provider.base_url = f"http://127.0.0.1:{port}/v1"
    provider.api_key_encrypted = box.encrypt(api_key)
    provider.api_key_hint = mask_secret(api_key)
    provider.enabled = True
    model = await _model(session, version, provider)
    model.enabled = True
    model.available = True
    await session.flush()


async def unregister(session: AsyncSession, version: ModelVersion) -> None:
    if version.provider_id and (provider := await session.get(Provider, version.provider_id)):
        provider.enabled = False
    if version.served_model_id and (model := await session.get(Model, version.served_model_id)):
        model.available = False
    await session.flush()


async def remove(session: AsyncSession, version: ModelVersion) -> None:
    """Delete the provider (and so its model) when the version itself goes."""
    if version.provider_id and (provider := await session.get(Provider, version.provider_id)):
        await session.delete(provider)
        await session.flush()
