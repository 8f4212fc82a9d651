import time
from typing import Annotated, Any

from fastapi import BackgroundTasks, Path, Request, status
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from llmforge.auth.deps import CurrentUser
from llmforge.core.deps import SettingsDep
from llmforge.core.errors import InvalidInput
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.knowledge import service
from llmforge.knowledge.deps import (
    IngestorDep,
    KnowledgeServicesDep,
    OwnedKB,
    ReadableKB,
    StoreDep,
)
from llmforge.knowledge.models import KnowledgeBase
from llmforge.knowledge.schemas import (
    ChunkRead,
    DocumentRead,
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    KnowledgeBaseUpdate,
    RetrievalRequest,
    RetrievalResult,
)
from llmforge.knowledge.store import collection_name

router = CapabilityRouter(prefix="/api/knowledge-bases", tags=["knowledge-bases"])

DocumentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_CHUNKS_SHOWN = 1000
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


async def _read(session: SessionDep, user: CurrentUser, kb: KnowledgeBase) -> KnowledgeBaseRead:
    return (await service.read_kbs(session, user, [kb]))[0]


@router.get("")
async def list_knowledge_bases(
    user: CurrentUser, session: SessionDep, params: PageParamsDep
) -> Page[KnowledgeBaseRead]:
    """Your knowledge bases and the shared ones."""
    rows, total = await service.list_kbs(session, user, params)
    items = await service.read_kbs(session, user, rows)
    return Page(items=items, total=total, page=params.page, page_size=params.page_size)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_knowledge_base(
    data: KnowledgeBaseCreate, user: CurrentUser, session: SessionDep
) -> KnowledgeBaseRead:
    """`embedding_model_id` must be a model with the embedding capability; `shared` needs an
    admin."""
    return await _read(session, user, await service.create_kb(session, user, data))


@router.get("/{kb_id}")
async def get_knowledge_base(
    kb: ReadableKB, user: CurrentUser, session: SessionDep
) -> KnowledgeBaseRead:
    return await _read(session, user, kb)


@router.patch("/{kb_id}")
async def update_knowledge_base(
    kb: OwnedKB, changes: KnowledgeBaseUpdate, user: CurrentUser, session: SessionDep
) -> KnowledgeBaseRead:
    return await _read(session, user, await service.update_kb(session, user, kb, changes))


@router.delete("/{kb_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_knowledge_base(
    kb: OwnedKB,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    ingestor: IngestorDep,
) -> None:
    """Deletes its documents, their files and its vectors."""
    for document in await service.list_documents(session, kb):
        await ingestor.cancel(document.id)
    await service.delete_kb(session, settings.data_dir, store, kb)


@router.get("/{kb_id}/documents")
async def list_documents(kb: ReadableKB, session: SessionDep) -> list[DocumentRead]:
    return [DocumentRead.model_validate(doc) for doc in await service.list_documents(session, kb)]


async def _upload(request: Request) -> tuple[str, bytes]:
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Attach the document as the form field 'file'.", code="file_required")
    return upload.filename or "document", await upload.read()


@router.post("/{kb_id}/documents", status_code=status.HTTP_201_CREATED, openapi_extra=UPLOAD_BODY)
async def upload_document(
    kb: OwnedKB,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ingestor: IngestorDep,
    background: BackgroundTasks,
) -> DocumentRead:
    """Upload a txt, md, html, pdf or docx file (multipart field `file`). It is queued for
    ingestion at once; follow `status` and `progress`. The same content twice → 409
    `duplicate_document`."""
    name, data = await _upload(request)
    limit = settings.knowledge_max_document_bytes
    doc = await service.add_document(session, settings.data_dir, limit, kb, name, data)
    background.add_task(ingestor.wake)  # after the commit
    return DocumentRead.model_validate(doc)


@router.get("/{kb_id}/documents/{doc_id}")
async def get_document(kb: ReadableKB, doc_id: DocumentId, session: SessionDep) -> DocumentRead:
    return DocumentRead.model_validate(await service.get_document(session, kb, doc_id))


@router.get("/{kb_id}/documents/{doc_id}/chunks")
async def document_chunks(
    kb: ReadableKB, doc_id: DocumentId, session: SessionDep, store: StoreDep
) -> list[ChunkRead]:
    """The indexed chunks of a document, in order (the first 1000)."""
    doc = await service.get_document(session, kb, doc_id)
    if not kb.embedding_dim:
        return []
    hits = await store.document_chunks(
        collection_name(kb.id, kb.embedding_dim), doc.id, MAX_CHUNKS_SHOWN
    )
    return [ChunkRead.model_validate(hit, from_attributes=True) for hit in hits]


@router.get("/{kb_id}/documents/{doc_id}/file", response_class=FileResponse)
async def download_document(
    kb: ReadableKB, doc_id: DocumentId, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    doc = await service.get_document(session, kb, doc_id)
    return FileResponse(settings.data_dir / doc.storage_path, filename=doc.filename)


@router.post("/{kb_id}/documents/{doc_id}/reindex", status_code=status.HTTP_202_ACCEPTED)
async def reindex_document(
    kb: OwnedKB,
    doc_id: DocumentId,
    session: SessionDep,
    ingestor: IngestorDep,
    background: BackgroundTasks,
) -> DocumentRead:
    """Parse, chunk and embed the document again (with the current chunk settings)."""
    doc = await service.get_document(session, kb, doc_id)
    service.queue_reindex(doc)
    await session.flush()
    background.add_task(ingestor.wake)
    return DocumentRead.model_validate(doc)


@router.delete("/{kb_id}/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    kb: OwnedKB,
    doc_id: DocumentId,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    ingestor: IngestorDep,
) -> None:
    """Removes the document, its file and its vectors."""
    doc = await service.get_document(session, kb, doc_id)
    await ingestor.cancel(doc.id)
    await service.delete_document(session, settings.data_dir, store, kb, doc)


@router.post("/{kb_id}/retrieve")
async def retrieve(
    kb: ReadableKB,
    body: RetrievalRequest,
    user: CurrentUser,
    session: SessionDep,
    services: KnowledgeServicesDep,
    store: StoreDep,
) -> RetrievalResult:
    """A retrieval test: the top-k ready chunks for `query` with their scores and documents."""
    started = time.perf_counter()
    found = await service.retrieve(
        session,
        services,
        store,
        user,
        [kb],
        body.query,
        body.top_k or kb.top_k,
        body.score_threshold,
    )
    return RetrievalResult(
        query=body.query,
        hits=[hit for _, hit in found],
        latency_ms=service.elapsed_ms(started),
    )
