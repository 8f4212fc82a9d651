"""Lookups that check visibility (another user's private knowledge base is a 404) and the
application's knowledge services."""

from typing import Annotated

from fastapi import Depends, Path, Request

from llmforge.auth.deps import CurrentUser
from llmforge.db import SessionDep
from llmforge.knowledge import service
from llmforge.knowledge.embedding import KnowledgeServices
from llmforge.knowledge.ingestion import Ingestor
from llmforge.knowledge.models import KnowledgeBase
from llmforge.knowledge.store import VectorStore

KnowledgeBaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def readable_kb(
    kb_id: KnowledgeBaseId, user: CurrentUser, session: SessionDep
) -> KnowledgeBase:
    return await service.readable_kb(session, user, kb_id)


async def owned_kb(kb_id: KnowledgeBaseId, user: CurrentUser, session: SessionDep) -> KnowledgeBase:
    return await service.owned_kb(session, user, kb_id)


async def get_store(request: Request) -> VectorStore:
    store: VectorStore = request.app.state.vector_store
    return store


async def get_ingestor(request: Request) -> Ingestor:
    ingestor: Ingestor = request.app.state.knowledge_ingestor
    return ingestor


async def get_knowledge_services(request: Request) -> KnowledgeServices:
    services: KnowledgeServices = request.app.state.knowledge_services
    return services


ReadableKB = Annotated[KnowledgeBase, Depends(readable_kb)]
OwnedKB = Annotated[KnowledgeBase, Depends(owned_kb)]
StoreDep = Annotated[VectorStore, Depends(get_store)]
IngestorDep = Annotated[Ingestor, Depends(get_ingestor)]
KnowledgeServicesDep = Annotated[KnowledgeServices, Depends(get_knowledge_services)]
