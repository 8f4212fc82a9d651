"""Background ingestion: parse → chunk → embed in batches → upsert, one task per document.

The document table is the queue: the ingestor claims `queued` documents (a conditional update,
so two processes never take the same one), reports progress after every batch, and ends each
document `ready` or `error`. A failed document keeps no vectors, so nothing half-indexed is ever
searchable (retrieval only searches `ready` documents). A document left `processing` by a
process that died is queued again once it has not moved for `stale_after` seconds.
"""

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from llmforge.db import transaction, utcnow
from llmforge.knowledge.chunking import Chunk, chunk_sections
from llmforge.knowledge.embedding import (
    Embedder,
    EmbeddingUnavailable,
    KnowledgeServices,
    embedder_for,
)
from llmforge.knowledge.models import DocumentStatus, KnowledgeBase, KnowledgeDocument
from llmforge.knowledge.parsing import DocumentError, parse
from llmforge.knowledge.store import StoredChunk, VectorStore, collection_name

logger = logging.getLogger("llmforge.knowledge")


@dataclass(frozen=True)
class Job:
    document_id: int
    kb_id: int
    path: Path
    file_type: str
    chunk_size: int
    chunk_overlap: int
    embedder: Embedder


class Ingestor:
    def __init__(
        self,
        services: KnowledgeServices,
        store: VectorStore,
        *,
        poll_interval: float = 2.0,
        stale_after: float = 300.0,
    ) -> None:
        self.services = services
        self.store = store
        self.poll_interval = poll_interval
        self.stale_after = stale_after
        self.max_tasks = services.settings.knowledge_max_concurrent_ingestions
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="knowledge-ingestor")

    async def stop(self) -> None:
        """Cancel everything in flight and queue its documents again for the next start."""
        interrupted = list(self._tasks)
        tasks = [t for t in (self._loop_task, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if interrupted:
            async with transaction(self.services.factory) as session:
                await session.execute(
                    update(KnowledgeDocument)
                    .where(
                        KnowledgeDocument.id.in_(interrupted),
                        KnowledgeDocument.status == DocumentStatus.processing,
                    )
                    .values(status=DocumentStatus.queued, progress=0.0)
                )

    def wake(self) -> None:
        self._wake.set()

    async def cancel(self, document_id: int) -> None:
        """Stop a document's ingestion and wait until it has stopped."""
        task = self._tasks.get(document_id)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        last_requeue = -math.inf
        while True:
            try:
                if time.monotonic() - last_requeue >= self.stale_after / 4:  # a rare write
                    await self._requeue_stale()
                    last_requeue = time.monotonic()
                await self._claim()
            except Exception:
                logger.exception("knowledge ingestor: could not poll for documents")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()

    async def _requeue_stale(self) -> None:
        stale = utcnow() - timedelta(seconds=self.stale_after)
        async with transaction(self.services.factory) as session:
            await session.execute(
                update(KnowledgeDocument)
                .where(
                    KnowledgeDocument.status == DocumentStatus.processing,
                    KnowledgeDocument.updated_at < stale,
                    KnowledgeDocument.id.not_in(list(self._tasks)),
                )
                .values(status=DocumentStatus.queued, progress=0.0)
            )

    async def _claim(self) -> None:
        free = self.max_tasks - len(self._tasks)
        if free <= 0:
            return
        async with transaction(self.services.factory) as session:
            candidates = await session.scalars(
                select(KnowledgeDocument.id)
                .where(KnowledgeDocument.status == DocumentStatus.queued)
                .order_by(KnowledgeDocument.id)
                .limit(free)
            )
            claimed = []
            for document_id in list(candidates):
                result = await session.execute(
                    update(KnowledgeDocument)
                    .where(
                        KnowledgeDocument.id == document_id,
                        KnowledgeDocument.status == DocumentStatus.queued,
                    )
                    .values(status=DocumentStatus.processing, progress=0.0, error=None)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    claimed.append(document_id)
        for document_id in claimed:
            self._tasks[document_id] = asyncio.create_task(
                self._ingest(document_id), name=f"ingest document {document_id}"
            )

    async def _ingest(self, document_id: int) -> None:
        try:
            job = await self._job(document_id)
            chunk_count = await self._index(job)
            await self._finish(document_id, chunk_count)
        except DocumentError as exc:
            await self._fail(document_id, exc.code, exc.message)
        except EmbeddingUnavailable as exc:
            await self._fail(document_id, "embedding_failed", exc.message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("knowledge: ingestion of document %s failed", document_id)
            await self._fail(document_id, "ingestion_failed", f"Indexing failed: {exc}")
        finally:
            self._tasks.pop(document_id, None)

    async def _job(self, document_id: int) -> Job:
        async with transaction(self.services.factory) as session:
            doc = await session.get_one(KnowledgeDocument, document_id)
            kb = await session.get_one(KnowledgeBase, doc.knowledge_base_id)
            embedder = await embedder_for(session, self.services, kb, kb.owner_id)
            return Job(
                document_id=doc.id,
                kb_id=kb.id,
                path=self.services.settings.data_dir / doc.storage_path,
                file_type=doc.file_type,
                chunk_size=kb.chunk_size,
                chunk_overlap=kb.chunk_overlap,
                embedder=embedder,
            )

    async def _chunks(self, job: Job) -> list[Chunk]:
        def work() -> list[Chunk]:
            sections = parse(job.file_type, job.path.read_bytes())
            return chunk_sections(sections, job.chunk_size, job.chunk_overlap)

        chunks = await asyncio.to_thread(work)
        if not chunks:
            raise DocumentError("no_text", "No text could be extracted from the document.")
        return chunks

    async def _index(self, job: Job) -> int:
        chunks = await self._chunks(job)
        batch_size = self.services.settings.knowledge_embed_batch_size
        collection: str | None = None
        for start in range(0, len(chunks), batch_size):
            batch = chunks[start : start + batch_size]
            vectors = await job.embedder.embed([chunk.embedding_input() for chunk in batch])
            if collection is None:
                collection = await self._collection(job, len(vectors[0]))
                await self.store.delete_document(collection, job.document_id)  # a re-index
            stored = [
                StoredChunk(start + i, chunk.text, chunk.heading, chunk.metadata, vector)
                for i, (chunk, vector) in enumerate(zip(batch, vectors, strict=True))
            ]
            await self.store.upsert(collection, job.document_id, stored)
            await self._progress(job.document_id, (start + len(batch)) / len(chunks))
        return len(chunks)

    async def _collection(self, job: Job, dimension: int) -> str:
        """The knowledge base's collection; its dimension is fixed by the first vectors."""
        async with transaction(self.services.factory) as session:
            kb = await session.get_one(KnowledgeBase, job.kb_id)
            if kb.embedding_dim is None:
                kb.embedding_dim = dimension
            elif kb.embedding_dim != dimension:
                raise DocumentError(
                    "dimension_mismatch",
                    f"The embedding model now returns {dimension}-dimensional vectors; this "
                    f"knowledge base holds {kb.embedding_dim}-dimensional ones.",
                )
        name = collection_name(job.kb_id, dimension)
        await self.store.ensure_collection(name, dimension)
        return name

    async def _progress(self, document_id: int, progress: float) -> None:
        async with transaction(self.services.factory) as session:
            await session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.id == document_id)
                .values(progress=round(min(progress, 0.99), 4), updated_at=utcnow())
            )

    async def _finish(self, document_id: int, chunk_count: int) -> None:
        async with transaction(self.services.factory) as session:
            await session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.id == document_id)
                .values(
                    status=DocumentStatus.ready,
                    progress=1.0,
                    chunk_count=chunk_count,
                    error=None,
                    indexed_at=utcnow(),
                )
            )

    async def _fail(self, document_id: int, code: str, message: str) -> None:
        """Record the error and remove whatever vectors the document had."""
        async with transaction(self.services.factory) as session:
            doc = await session.get(KnowledgeDocument, document_id)
            if doc is None:  # deleted meanwhile
                return
            kb = await session.get_one(KnowledgeBase, doc.knowledge_base_id)
            if kb.embedding_dim:
                await self.store.delete_document(collection_name(kb.id, kb.embedding_dim), doc.id)
            doc.status, doc.progress, doc.chunk_count = DocumentStatus.error, 0.0, 0
            doc.error = {"code": code, "message": message}
        logger.info("knowledge: document %s failed: %s", document_id, code)
