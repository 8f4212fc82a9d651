from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from llmforge.knowledge.models import DocumentStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=4000)]
ChunkSize = Annotated[int, Field(ge=100, le=8000, description="characters")]
ChunkOverlap = Annotated[int, Field(ge=0, le=2000, description="characters")]
TopK = Annotated[int, Field(ge=1, le=50)]
Threshold = Annotated[float, Field(ge=-1.0, le=1.0)]
Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


def _check_overlap(size: int | None, overlap: int | None) -> None:
    if size is not None and overlap is not None and overlap * 2 > size:
        raise ValueError("chunk_overlap must be at most half of chunk_size")


class KnowledgeBaseCreate(BaseModel):
    name: Name
    description: Description = ""
    embedding_model_id: int
    chunk_size: ChunkSize = 800
    chunk_overlap: ChunkOverlap = 100
    top_k: TopK = 5
    score_threshold: Threshold = 0.3
    shared: bool = False
    """Visible to every user (admins only)."""

    @model_validator(mode="after")
    def _overlap(self) -> Self:
        _check_overlap(self.chunk_size, self.chunk_overlap)
        return self


class KnowledgeBaseUpdate(BaseModel):
    name: Name | None = None
    description: Description | None = None
    embedding_model_id: int | None = None
    """Only while the knowledge base has no documents."""
    chunk_size: ChunkSize | None = None
    chunk_overlap: ChunkOverlap | None = None
    """Chunking changes apply to documents indexed (or re-indexed) afterwards."""
    top_k: TopK | None = None
    score_threshold: Threshold | None = None
    shared: bool | None = None


class DocumentCounts(BaseModel):
    total: int = 0
    ready: int = 0
    processing: int = 0
    error: int = 0


class KnowledgeBaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    name: str
    description: str
    embedding_model_id: int | None
    embedding_model_name: str
    embedding_dim: int | None
    chunk_size: int
    chunk_overlap: int
    top_k: int
    score_threshold: float
    shared: bool
    created_at: datetime
    updated_at: datetime
    documents: DocumentCounts = DocumentCounts()
    editable: bool = False
    """Whether the caller may change it (its owner)."""


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    knowledge_base_id: int
    filename: str
    file_type: str
    size_bytes: int
    content_hash: str
    status: DocumentStatus
    progress: float
    chunk_count: int
    error: dict[str, Any] | None
    indexed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ChunkRead(BaseModel):
    chunk_index: int
    text: str
    heading: str
    metadata: dict[str, Any]


class RetrievalRequest(BaseModel):
    query: Query
    top_k: TopK | None = None
    """Default: the knowledge base's top_k."""
    score_threshold: Threshold | None = None
    """Default: none (every hit is returned, scores shown)."""


class DocumentRef(BaseModel):
    id: int
    filename: str
    file_type: str


class RetrievalHit(BaseModel):
    score: float
    chunk_index: int
    text: str
    heading: str
    metadata: dict[str, Any]
    document: DocumentRef


class RetrievalResult(BaseModel):
    query: str
    hits: list[RetrievalHit]
    latency_ms: float


class Source(BaseModel):
    """A passage put into a chat prompt as `[index]`, or one a Dify app retrieved from its own
    knowledge (then the ids are None: the passage lives in Dify, not in llmforge)."""

    index: int
    score: float
    knowledge_base_id: int | None
    knowledge_base_name: str
    document_id: int | None
    filename: str
    chunk_index: int
    heading: str
    text: str
