"""Knowledge bases and their documents: ownership, uploads, deletion, retrieval.

A knowledge base is visible to its owner, and to everyone when an admin shared it; only its
owner changes it. Another user's private knowledge base is a 404.
"""

import asyncio
import hashlib
import shutil
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from llmforge.core.pagination import PageParams
from llmforge.knowledge.embedding import (
    Embedder,
    EmbeddingUnavailable,
    KnowledgeServices,
    embedder_for,
    embedding_model,
)
from llmforge.knowledge.models import DocumentStatus, KnowledgeBase, KnowledgeDocument
from llmforge.knowledge.parsing import FILE_TYPES, file_type_of
from llmforge.knowledge.schemas import (
    DocumentCounts,
    DocumentRef,
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    KnowledgeBaseUpdate,
    RetrievalHit,
)
from llmforge.knowledge.store import VectorStore, collection_name
from llmforge.users.models import Role, User

ROOT = "knowledge"


class KnowledgeUnavailable(DomainError):
    status_code = 503
    code = "knowledge_unavailable"


# -- knowledge bases ------------------------------------------------------------------------


def _visible(user: User) -> ColumnElement[bool]:
    return or_(KnowledgeBase.owner_id == user.id, KnowledgeBase.shared.is_(True))


async def readable_kb(session: AsyncSession, user: User, kb_id: int) -> KnowledgeBase:
    kb = await session.get(KnowledgeBase, kb_id)
    if kb is None or not (kb.owner_id == user.id or kb.shared):
        raise NotFound(f"Knowledge base {kb_id} does not exist.", code="knowledge_base_not_found")
    return kb


async def owned_kb(session: AsyncSession, user: User, kb_id: int) -> KnowledgeBase:
    kb = await readable_kb(session, user, kb_id)
    if kb.owner_id != user.id:
        raise Forbidden(
            "This knowledge base is shared with you read-only; only its owner can change it.",
            code="knowledge_base_read_only",
        )
    return kb


def _check_sharing(user: User, shared: bool | None) -> None:
    if shared and user.role is not Role.admin:
        raise Forbidden("Only an admin can share a knowledge base.", code="admin_required")


async def create_kb(session: AsyncSession, user: User, data: KnowledgeBaseCreate) -> KnowledgeBase:
    _check_sharing(user, data.shared)
    model = await embedding_model(session, user, data.embedding_model_id)
    kb = KnowledgeBase(
        owner_id=user.id,
        **data.model_dump(exclude={"embedding_model_id"}),
        embedding_model_id=model.id,
        embedding_model_name=model.display_name,
    )
    session.add(kb)
    await session.flush()
    return kb


async def update_kb(
    session: AsyncSession, user: User, kb: KnowledgeBase, changes: KnowledgeBaseUpdate
) -> KnowledgeBase:
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    _check_sharing(user, fields.get("shared"))
    size = fields.get("chunk_size", kb.chunk_size)
    if fields.get("chunk_overlap", kb.chunk_overlap) * 2 > size:
        raise InvalidInput("chunk_overlap must be at most half of chunk_size.", code="bad_overlap")
    model_id = fields.pop("embedding_model_id", None)
    if model_id is not None and model_id != kb.embedding_model_id:
        if (await document_counts(session, [kb.id]))[kb.id].total:
            raise Conflict(
                "The embedding model can only change while the knowledge base has no documents.",
                code="embedding_model_locked",
            )
        model = await embedding_model(session, user, model_id)
        kb.embedding_model_id, kb.embedding_model_name = model.id, model.display_name
        kb.embedding_dim = None
    for name, value in fields.items():
        setattr(kb, name, value)
    await session.flush()
    return kb


async def list_kbs(
    session: AsyncSession, user: User, params: PageParams
) -> tuple[list[KnowledgeBase], int]:
    total = await session.scalar(
        select(func.count()).select_from(KnowledgeBase).where(_visible(user))
    )
    rows = await session.scalars(
        select(KnowledgeBase)
        .where(_visible(user))
        .order_by(KnowledgeBase.updated_at.desc(), KnowledgeBase.id.desc())
        .offset(params.offset)
        .limit(params.page_size)
    )
    return list(rows), int(total or 0)


async def document_counts(session: AsyncSession, kb_ids: list[int]) -> dict[int, DocumentCounts]:
    counts: dict[int, DocumentCounts] = defaultdict(DocumentCounts)
    rows = await session.execute(
        select(KnowledgeDocument.knowledge_base_id, KnowledgeDocument.status, func.count())
        .where(KnowledgeDocument.knowledge_base_id.in_(kb_ids))
        .group_by(KnowledgeDocument.knowledge_base_id, KnowledgeDocument.status)
    )
    for kb_id, status, count in rows.all():
        entry = counts[kb_id]
        entry.total += count
        bucket = "processing" if status is DocumentStatus.queued else status.value
        setattr(entry, bucket, getattr(entry, bucket) + count)
    return counts


async def read_kbs(
    session: AsyncSession, user: User, kbs: list[KnowledgeBase]
) -> list[KnowledgeBaseRead]:
    counts = await document_counts(session, [kb.id for kb in kbs])
    return [
        KnowledgeBaseRead.model_validate(kb).model_copy(
            update={"documents": counts[kb.id], "editable": kb.owner_id == user.id}
        )
        for kb in kbs
    ]


def kb_dir(data_dir: Path, kb_id: int) -> Path:
    return data_dir / ROOT / str(kb_id)


async def delete_kb(
    session: AsyncSession, settings_data_dir: Path, store: VectorStore, kb: KnowledgeBase
) -> list[int]:
    """Delete the row, its collection and its files; return the document ids it had."""
    document_ids = list(
        await session.scalars(
            select(KnowledgeDocument.id).where(KnowledgeDocument.knowledge_base_id == kb.id)
        )
    )
    if kb.embedding_dim:
        await store.drop(collection_name(kb.id, kb.embedding_dim))
    await session.delete(kb)
    await session.flush()
    await asyncio.to_thread(shutil.rmtree, kb_dir(settings_data_dir, kb.id), True)
    return document_ids


# -- documents ------------------------------------------------------------------------------


async def list_documents(session: AsyncSession, kb: KnowledgeBase) -> list[KnowledgeDocument]:
    rows = await session.scalars(
        select(KnowledgeDocument)
        .where(KnowledgeDocument.knowledge_base_id == kb.id)
        .order_by(KnowledgeDocument.id.desc())
    )
    return list(rows)


async def get_document(session: AsyncSession, kb: KnowledgeBase, doc_id: int) -> KnowledgeDocument:
    doc = await session.get(KnowledgeDocument, doc_id)
    if doc is None or doc.knowledge_base_id != kb.id:
        raise NotFound(f"Document {doc_id} does not exist.", code="document_not_found")
    return doc


def check_upload(filename: str, size: int, limit: int) -> str:
    """The file type; 4xx for an unsupported type, an empty file or one over the limit."""
    file_type = file_type_of(filename)
    if file_type is None:
        raise InvalidInput(
            f"'{filename}' is not a supported file type; upload one of: {', '.join(FILE_TYPES)}.",
            code="unsupported_file_type",
            details={"supported": list(FILE_TYPES)},
        )
    if size == 0:
        raise InvalidInput(f"'{filename}' is empty.", code="empty_file")
    if size > limit:
        raise PayloadTooLarge(
            f"'{filename}' is {size} bytes; the limit is {limit} bytes.",
            code="document_too_large",
            details={"size_bytes": size, "limit_bytes": limit},
        )
    return file_type


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _duplicate(session: AsyncSession, kb: KnowledgeBase, digest: str) -> Conflict | None:
    existing = await session.scalar(
        select(KnowledgeDocument).where(
            KnowledgeDocument.knowledge_base_id == kb.id, KnowledgeDocument.content_hash == digest
        )
    )
    if existing is None:
        return None
    return Conflict(
        f"This file is already in the knowledge base as '{existing.filename}'.",
        code="duplicate_document",
        details={"document_id": existing.id, "filename": existing.filename},
    )


async def add_document(
    session: AsyncSession, data_dir: Path, limit: int, kb: KnowledgeBase, name: str, data: bytes
) -> KnowledgeDocument:
    """Store the file and queue it for ingestion (the caller wakes the ingestor)."""
    file_type = check_upload(name, len(data), limit)
    digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    if (clash := await _duplicate(session, kb, digest)) is not None:
        raise clash
    doc = KnowledgeDocument(
        knowledge_base_id=kb.id,
        filename=name[:255],
        file_type=file_type,
        size_bytes=len(data),
        content_hash=digest,
        storage_path="",
        status=DocumentStatus.queued,
        progress=0.0,
        chunk_count=0,
    )
    session.add(doc)
    try:
        await session.flush()
    except IntegrityError:  # the same file uploaded twice at once
        raise Conflict("This file is already being added.", code="duplicate_document") from None
    relative = f"{ROOT}/{kb.id}/{doc.id}.{file_type}"
    await asyncio.to_thread(_write, data_dir / relative, data)
    doc.storage_path = relative
    await session.flush()
    return doc


def queue_reindex(doc: KnowledgeDocument) -> None:
    if doc.status in (DocumentStatus.queued, DocumentStatus.processing):
        raise Conflict("The document is being indexed already.", code="document_busy")
    doc.status, doc.progress, doc.error = DocumentStatus.queued, 0.0, None


async def delete_document(
    session: AsyncSession,
    data_dir: Path,
    store: VectorStore,
    kb: KnowledgeBase,
    doc: KnowledgeDocument,
) -> None:
    if kb.embedding_dim:
        await store.delete_document(collection_name(kb.id, kb.embedding_dim), doc.id)
    if doc.storage_path:
        await asyncio.to_thread((data_dir / doc.storage_path).unlink, True)
    await session.delete(doc)
    await session.flush()


# -- retrieval ------------------------------------------------------------------------------


async def ready_documents(session: AsyncSession, kb_ids: list[int]) -> dict[int, KnowledgeDocument]:
    rows = await session.scalars(
        select(KnowledgeDocument).where(
            KnowledgeDocument.knowledge_base_id.in_(kb_ids),
            KnowledgeDocument.status == DocumentStatus.ready,
        )
    )
    return {doc.id: doc for doc in rows}


async def _embedders(
    session: AsyncSession, services: KnowledgeServices, kbs: list[KnowledgeBase], user: User
) -> dict[int | None, Embedder]:
    embedders: dict[int | None, Embedder] = {}
    for kb in kbs:
        if kb.embedding_model_id not in embedders:
            try:
                embedders[kb.embedding_model_id] = await embedder_for(
                    session, services, kb, user.id
                )
            except EmbeddingUnavailable as exc:
                raise KnowledgeUnavailable(exc.message) from None
    return embedders


async def retrieve(
    session: AsyncSession,
    services: KnowledgeServices,
    store: VectorStore,
    user: User,
    kbs: list[KnowledgeBase],
    query: str,
    top_k: int,
    threshold: float | None,
) -> list[tuple[KnowledgeBase, RetrievalHit]]:
    """The best `top_k` ready chunks of these knowledge bases at or above `threshold`."""
    documents = await ready_documents(session, [kb.id for kb in kbs])
    searchable = [kb for kb in kbs if kb.embedding_dim]
    embedders = await _embedders(session, services, searchable, user)
    vectors: dict[int | None, list[float]] = {}
    found: list[tuple[KnowledgeBase, RetrievalHit]] = []
    for kb in searchable:
        ids = [doc.id for doc in documents.values() if doc.knowledge_base_id == kb.id]
        if not ids:
            continue
        if kb.embedding_model_id not in vectors:
            try:
                embedded = await embedders[kb.embedding_model_id].embed([query])
            except EmbeddingUnavailable as exc:
                raise KnowledgeUnavailable(exc.message) from None
            vectors[kb.embedding_model_id] = embedded[0]
        assert kb.embedding_dim is not None
        hits = await store.search(
            collection_name(kb.id, kb.embedding_dim), vectors[kb.embedding_model_id], ids, top_k
        )
        for hit in hits:
            if threshold is None or hit.score >= threshold:
                doc = documents[hit.document_id]
                ref = DocumentRef(id=doc.id, filename=doc.filename, file_type=doc.file_type)
                found.append((kb, RetrievalHit(**asdict(hit), document=ref)))
    found.sort(key=lambda pair: pair[1].score, reverse=True)
    return found[:top_k]


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
