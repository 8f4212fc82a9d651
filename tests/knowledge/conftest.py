import io
import time
from collections.abc import Iterator

import httpx
import pytest
from docx import Document
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.knowledge.models import KnowledgeBase
from llmforge.knowledge.store import collection_name
from tests.chat_fixtures import register_model
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.knowledge.embeddings_server import MINILM, serve_minilm


@pytest.fixture(scope="session")
def minilm_url() -> Iterator[str]:
    """The real all-MiniLM-L6-v2 behind scripts/embeddings/server.py on loopback (base /v1)."""
    with serve_minilm() as url:
        yield url


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-kb-test") as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_fake(request: pytest.FixtureRequest) -> None:
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


@pytest.fixture
def fake_embed(admin: httpx.Client, fake: FakeOpenAI) -> int:
    """The fake's `fake-embed` (8 dimensions, a hash of the text: no meaning)."""
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=fake.base_url,
        api_key="sk-kb-test",
        model="fake-embed",
        capabilities=["embedding"],
    )


@pytest.fixture
def minilm(admin: httpx.Client, minilm_url: str) -> int:
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=minilm_url,
        api_key=None,
        model=MINILM,
        capabilities=["embedding"],
    )


def create_kb(http: httpx.Client, model_id: int, **fields: object) -> dict[str, object]:
    response = http.post(
        "/api/knowledge-bases",
        json={"name": "Handbook", "embedding_model_id": model_id, **fields},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def upload(http: httpx.Client, kb_id: object, name: str, data: bytes) -> httpx.Response:
    return http.post(f"/api/knowledge-bases/{kb_id}/documents", files={"file": (name, data)})


def wait_done(http: httpx.Client, kb_id: object, doc_id: object, timeout: float = 60) -> dict:
    """The document once it is ready or failed."""
    deadline = time.monotonic() + timeout
    while True:
        doc = http.get(f"/api/knowledge-bases/{kb_id}/documents/{doc_id}").json()
        if doc["status"] in ("ready", "error"):
            return dict(doc)
        assert time.monotonic() < deadline, f"document still {doc['status']}"
        time.sleep(0.1)


def add_ready(http: httpx.Client, kb_id: object, name: str, data: bytes) -> dict:
    response = upload(http, kb_id, name, data)
    assert response.status_code == 201, response.text
    doc = wait_done(http, kb_id, response.json()["id"])
    assert doc["status"] == "ready", doc
    return doc


def vector_count(server: LiveServer, kb_id: object, document_id: object) -> int:
    """How many vectors the store holds for a document (0 when there is no collection)."""

    async def dimension(session: AsyncSession) -> int | None:
        kb = await session.get(KnowledgeBase, kb_id)
        return kb.embedding_dim if kb else None

    dim = server.db(dimension)
    if dim is None:
        return 0
    name = collection_name(int(str(kb_id)), dim)
    return int(server.call(server.app.state.vector_store.count(name, int(str(document_id)))))


def make_pdf(pages: list[str]) -> bytes:
    """A real PDF with one text page per entry (reportlab)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for text in pages:
        y = 800
        for line in text.splitlines():
            pdf.drawString(50, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(blocks: list[tuple[str, int]]) -> bytes:
    """A real DOCX: (text, heading level; 0 for a paragraph)."""
    document = Document()
    for text, level in blocks:
        if level:
            document.add_heading(text, level=level)
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
