"""Chat with knowledge: the passages for one question, numbered, and what the model is told.

The best chunks of the chat's knowledge bases at or above each base's score threshold go into
the system prompt as `[1]`, `[2]`, … and are sent to the page as the answer's sources. When
none is relevant the model is told so, instead of being fed noise.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.core.errors import NotFound
from llmforge.knowledge.embedding import KnowledgeServices
from llmforge.knowledge.models import KnowledgeBase
from llmforge.knowledge.schemas import Source
from llmforge.knowledge.service import retrieve
from llmforge.knowledge.store import VectorStore
from llmforge.users.models import User


@dataclass(frozen=True)
class Knowledge:
    """What the application provides for grounding chats."""

    services: KnowledgeServices
    store: VectorStore


@dataclass(frozen=True)
class Grounding:
    """`sources` is None when the chat uses no knowledge base."""

    sources: list[Source] | None = None
    instructions: str = ""
    kb_names: list[str] = field(default_factory=list)

    def system_prompt(self, base: str) -> str:
        return "\n\n".join(part for part in (base, self.instructions) if part)

    def stored_sources(self) -> list[dict[str, Any]] | None:
        if self.sources is None:
            return None
        return [source.model_dump(mode="json") for source in self.sources]


async def _searchable(session: AsyncSession, user: User, kb_ids: list[int]) -> list[KnowledgeBase]:
    rows = await session.scalars(select(KnowledgeBase).where(KnowledgeBase.id.in_(kb_ids)))
    found = {kb.id: kb for kb in rows if kb.owner_id == user.id or kb.shared}
    return [found[kb_id] for kb_id in dict.fromkeys(kb_ids) if kb_id in found]


async def check_kb_ids(session: AsyncSession, user: User, kb_ids: list[int]) -> list[int]:
    """The ids, without repeats, when the user may search them all; any other id is a 404."""
    kbs = await _searchable(session, user, kb_ids)
    missing = sorted(set(kb_ids) - {kb.id for kb in kbs})
    if missing:
        raise NotFound(
            f"Knowledge base {missing[0]} does not exist.", code="knowledge_base_not_found"
        )
    return [kb.id for kb in kbs]


def _quoted(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _instructions(sources: list[Source], names: list[str]) -> str:
    if not sources:
        return (
            f"The knowledge base {_quoted(names)} selected for this chat contains nothing "
            "relevant to the user's question. Tell the user that the knowledge base does not "
            "cover it; do not invent sources or citations."
        )
    passages = "\n\n".join(
        f"[{s.index}] {s.filename}{' — ' + s.heading if s.heading else ''}\n{s.text}"
        for s in sources
    )
    return (
        f"Answer from the numbered passages below, taken from the knowledge base "
        f"{_quoted(names)}. Cite the passages you use with their markers, like [1] or [2]. "
        "If they do not contain the answer, say that the knowledge base does not cover it.\n\n"
        f"{passages}"
    )


async def ground(
    session: AsyncSession,
    user: User,
    kb_ids: list[int],
    question: str | None,
    knowledge: Knowledge | None,
) -> Grounding:
    if not kb_ids or question is None or knowledge is None:
        return Grounding()
    kbs = await _searchable(session, user, kb_ids)  # one deleted or unshared since: skipped
    if not kbs:
        return Grounding()
    top_k = max(kb.top_k for kb in kbs)
    found = await retrieve(
        session, knowledge.services, knowledge.store, user, kbs, question, top_k, None
    )
    kept = [(kb, hit) for kb, hit in found if hit.score >= kb.score_threshold]
    sources = [
        Source(
            index=number,
            score=round(hit.score, 4),
            knowledge_base_id=kb.id,
            knowledge_base_name=kb.name,
            document_id=hit.document.id,
            filename=hit.document.filename,
            chunk_index=hit.chunk_index,
            heading=hit.heading,
            text=hit.text,
        )
        for number, (kb, hit) in enumerate(kept, 1)
    ]
    names = [kb.name for kb in kbs]
    return Grounding(sources, _instructions(sources, names), names)
