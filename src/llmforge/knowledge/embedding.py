"""The embedding model of a knowledge base, called through the unified client; every call's
usage is recorded (source `rag`)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.calls.answer import usage_entry
from llmforge.core.errors import InvalidInput, NotFound
from llmforge.core.security import SecretBox
from llmforge.knowledge.models import KnowledgeBase
from llmforge.llm import ClientRegistry, LLMClient, UpstreamError
from llmforge.providers.models import Model, Provider
from llmforge.providers.service import client_for, usable_model
from llmforge.settings import Settings
from llmforge.usage.models import UsageSource
from llmforge.usage.recorder import UsageRecorder
from llmforge.users.models import User

EMBEDDING = "embedding"


@dataclass(frozen=True)
class KnowledgeServices:
    """What knowledge work needs from the application (the store is set at start-up)."""

    settings: Settings
    box: SecretBox
    clients: ClientRegistry
    recorder: UsageRecorder
    factory: async_sessionmaker[AsyncSession]


class EmbeddingUnavailable(Exception):
    """The knowledge base's embedding model is gone, disabled or failing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def embedding_model(session: AsyncSession, user: User, model_id: int) -> Model:
    """A model the user may call that has the embedding capability (422 otherwise)."""
    try:
        model, _ = await usable_model(session, user, model_id)
    except NotFound:
        raise InvalidInput(
            f"Model {model_id} is not available to you.", code="embedding_model_not_found"
        ) from None
    if EMBEDDING not in model.capabilities:
        raise InvalidInput(
            f"{model.display_name} has no embedding capability; choose an embedding model.",
            code="not_an_embedding_model",
        )
    return model


@dataclass
class Embedder:
    user_id: int
    model: Model
    provider: Provider
    client: LLMClient
    recorder: UsageRecorder

    async def embed(self, texts: list[str]) -> list[list[float]]:
        try:
            result = await self.client.embed(self.model.model_id, texts)
        except UpstreamError as exc:
            raise EmbeddingUnavailable(
                f"The embedding model {self.model.display_name} failed: {exc.message}"
            ) from None
        if not result.vectors or any(len(v) != len(result.vectors[0]) for v in result.vectors):
            raise EmbeddingUnavailable("The embedding model returned vectors of mixed sizes.")
        self.recorder.record(
            usage_entry(
                user_id=self.user_id,
                model=self.model,
                provider=self.provider,
                source=UsageSource.rag,
                usage=result.usage,
                timings={"latency_ms": None, "ttft_ms": None},
                status="complete",
            )
        )
        return result.vectors


async def embedder_for(
    session: AsyncSession, services: KnowledgeServices, kb: KnowledgeBase, user_id: int
) -> Embedder:
    """The knowledge base's embedding model as it is now: enabled, with its provider."""
    row = (
        await session.execute(
            select(Model, Provider)
            .join(Provider)
            .where(
                Model.id == kb.embedding_model_id,
                Model.enabled.is_(True),
                Model.available.is_(True),
                Provider.enabled.is_(True),
            )
        )
    ).first()
    if row is None:
        raise EmbeddingUnavailable(
            f"The embedding model {kb.embedding_model_name} of '{kb.name}' is no longer "
            "available; an admin must enable it again."
        )
    model, provider = row
    client = client_for(provider, services.box, services.clients)
    return Embedder(user_id, model, provider, client, services.recorder)
