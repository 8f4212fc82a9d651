"""The vector store: Qdrant through qdrant-client, embedded under the data dir by default or a
Qdrant server when `LLMFORGE_QDRANT_URL` is set; the same calls either way.

Embedded mode allows one client per path per process, so the application keeps one
`VectorStore` on `app.state`. One collection per knowledge base and embedding dimension
(`kb_<id>_d<dim>`), cosine distance. Point ids derive from (document id, chunk index), so a
re-index overwrites; every point's payload holds document_id, chunk_index, text, heading and
metadata.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from qdrant_client import AsyncQdrantClient, models

from llmforge.settings import Settings

_NAMESPACE = uuid.UUID("6f1d2c1e-7b1a-4a4e-9a43-5b0c2f6c9e11")


@dataclass(frozen=True)
class StoredChunk:
    chunk_index: int
    text: str
    heading: str
    metadata: dict[str, Any]
    vector: list[float]


@dataclass(frozen=True)
class Hit:
    score: float
    document_id: int
    chunk_index: int
    text: str
    heading: str
    metadata: dict[str, Any]


def collection_name(knowledge_base_id: int, dimension: int) -> str:
    return f"kb_{knowledge_base_id}_d{dimension}"


def point_id(document_id: int, chunk_index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{document_id}:{chunk_index}"))


def _document_filter(document_ids: list[int]) -> models.Filter:
    return models.Filter(
        must=[models.FieldCondition(key="document_id", match=models.MatchAny(any=document_ids))]
    )


def _hit(point: Any) -> Hit:
    payload = point.payload or {}
    return Hit(
        score=float(getattr(point, "score", 0.0) or 0.0),
        document_id=int(payload["document_id"]),
        chunk_index=int(payload["chunk_index"]),
        text=str(payload.get("text", "")),
        heading=str(payload.get("heading", "")),
        metadata=dict(payload.get("metadata") or {}),
    )


class VectorStore:
    def __init__(self, settings: Settings) -> None:
        self.server = bool(settings.qdrant_url)
        if self.server:
            key = settings.qdrant_api_key
            self.client = AsyncQdrantClient(
                url=settings.qdrant_url, api_key=key.get_secret_value() if key else None
            )
        else:
            path = settings.data_dir / "qdrant"
            path.mkdir(parents=True, exist_ok=True)
            self.client = AsyncQdrantClient(path=str(path))

    async def close(self) -> None:
        await self.client.close()

    async def ensure_collection(self, name: str, dimension: int) -> None:
        if await self.client.collection_exists(name):
            return
        await self.client.create_collection(
            name,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
        )
        if self.server:  # the embedded store filters without indexes
            await self.client.create_payload_index(
                name, "document_id", field_schema=models.PayloadSchemaType.INTEGER
            )

    async def upsert(self, name: str, document_id: int, chunks: list[StoredChunk]) -> None:
        points = [
            models.PointStruct(
                id=point_id(document_id, chunk.chunk_index),
                vector=chunk.vector,
                payload={
                    "document_id": document_id,
                    "chunk_index": chunk.chunk_index,
                    "text": chunk.text,
                    "heading": chunk.heading,
                    "metadata": chunk.metadata,
                },
            )
            for chunk in chunks
        ]
        await self.client.upsert(name, points=points, wait=True)

    async def delete_document(self, name: str, document_id: int) -> None:
        if await self.client.collection_exists(name):
            await self.client.delete(
                name, points_selector=models.FilterSelector(filter=_document_filter([document_id]))
            )

    async def drop(self, name: str) -> None:
        if await self.client.collection_exists(name):
            await self.client.delete_collection(name)

    async def count(self, name: str, document_id: int) -> int:
        if not await self.client.collection_exists(name):
            return 0
        result = await self.client.count(name, count_filter=_document_filter([document_id]))
        return int(result.count)

    async def search(
        self, name: str, vector: list[float], document_ids: list[int], limit: int
    ) -> list[Hit]:
        """The nearest chunks among these documents (the ready ones), best first."""
        if not document_ids or not await self.client.collection_exists(name):
            return []
        response = await self.client.query_points(
            name,
            query=vector,
            query_filter=_document_filter(document_ids),
            limit=limit,
            with_payload=True,
        )
        return [_hit(point) for point in response.points]

    async def document_chunks(self, name: str, document_id: int, limit: int) -> list[Hit]:
        if not await self.client.collection_exists(name):
            return []
        points, _ = await self.client.scroll(
            name, scroll_filter=_document_filter([document_id]), limit=limit, with_payload=True
        )
        return sorted((_hit(point) for point in points), key=lambda hit: hit.chunk_index)
