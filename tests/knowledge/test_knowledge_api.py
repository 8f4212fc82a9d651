"""Knowledge bases over HTTP with the real embedded Qdrant; embeddings from the OpenAI fake."""

import time

import httpx

from tests.conftest import LiveServer, login
from tests.fakes.openai import FakeOpenAI
from tests.knowledge.conftest import (
    add_ready,
    create_kb,
    encrypt_pdf,
    make_docx,
    make_pdf,
    upload,
    vector_count,
    wait_done,
)

GUIDE = b"""# Guide

llmforge connects providers.

## Install

Run make run on a fresh machine.

## Backups

Copy the data directory every night.
"""


def test_create_list_update_and_delete(alice: httpx.Client, fake_embed: int) -> None:
    kb = create_kb(alice, fake_embed, description="Company handbook", chunk_size=400)
    assert kb["embedding_model_name"] == "fake-embed"
    assert kb["editable"] is True and kb["shared"] is False
    assert kb["documents"] == {"total": 0, "ready": 0, "processing": 0, "error": 0}
    page = alice.get("/api/knowledge-bases").json()
    assert page["total"] == 1 and page["items"][0]["name"] == "Handbook"
    changed = alice.patch(f"/api/knowledge-bases/{kb['id']}", json={"name": "Wiki", "top_k": 3})
    assert changed.status_code == 200 and changed.json()["name"] == "Wiki"
    assert changed.json()["top_k"] == 3
    assert alice.delete(f"/api/knowledge-bases/{kb['id']}").status_code == 204
    assert alice.get(f"/api/knowledge-bases/{kb['id']}").status_code == 404


def test_another_users_private_knowledge_base_is_404(
    server: LiveServer, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed)
    doc = add_ready(alice, kb["id"], "guide.md", GUIDE)
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", "user password 1") as bob:
        for method, path in [
            ("GET", f"/api/knowledge-bases/{kb['id']}"),
            ("GET", f"/api/knowledge-bases/{kb['id']}/documents"),
            ("GET", f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}/file"),
            ("PATCH", f"/api/knowledge-bases/{kb['id']}"),
            ("DELETE", f"/api/knowledge-bases/{kb['id']}"),
        ]:
            response = bob.request(method, path, json={} if method == "PATCH" else None)
            assert response.status_code == 404, (method, path)
            assert response.json()["code"] == "knowledge_base_not_found"
        retrieval = bob.post(f"/api/knowledge-bases/{kb['id']}/retrieve", json={"query": "x"})
        assert retrieval.status_code == 404
        assert bob.get("/api/knowledge-bases").json()["total"] == 0


def test_shared_knowledge_base_is_read_only_for_others(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake_embed: int
) -> None:
    refused = alice.post(
        "/api/knowledge-bases",
        json={"name": "Mine", "embedding_model_id": fake_embed, "shared": True},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "admin_required"
    kb = create_kb(admin, fake_embed, shared=True)
    add_ready(admin, kb["id"], "guide.md", GUIDE)
    seen = alice.get(f"/api/knowledge-bases/{kb['id']}").json()
    assert seen["editable"] is False and seen["documents"]["ready"] == 1
    hits = alice.post(f"/api/knowledge-bases/{kb['id']}/retrieve", json={"query": "backups"})
    assert hits.status_code == 200 and hits.json()["hits"]
    denied = upload(alice, kb["id"], "mine.txt", b"alice's notes")
    assert denied.status_code == 403 and denied.json()["code"] == "knowledge_base_read_only"


def test_embedding_model_must_have_the_embedding_capability(
    admin: httpx.Client, alice: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    provider = admin.get("/api/providers").json()[0]["id"]
    models = admin.get(f"/api/providers/{provider}/models").json()
    chat_model = next(m["id"] for m in models if m["model_id"] == "fake-chat")
    assert admin.patch(f"/api/models/{chat_model}", json={"enabled": True}).status_code == 200
    response = alice.post(
        "/api/knowledge-bases", json={"name": "KB", "embedding_model_id": chat_model}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "not_an_embedding_model"
    unknown = alice.post("/api/knowledge-bases", json={"name": "KB", "embedding_model_id": 99999})
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "embedding_model_not_found"
    overlap = alice.post(
        "/api/knowledge-bases",
        json={
            "name": "KB",
            "embedding_model_id": fake_embed,
            "chunk_size": 200,
            "chunk_overlap": 150,
        },
    )
    assert overlap.status_code == 422
    assert alice.get("/api/knowledge-bases").json()["total"] == 0


def test_upload_markdown_becomes_ready_with_chunks_and_progress(
    server: LiveServer, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, chunk_size=100, chunk_overlap=0)
    created = upload(alice, kb["id"], "guide.md", GUIDE)
    assert created.status_code == 201
    assert created.json()["status"] == "queued" and created.json()["file_type"] == "md"
    doc = wait_done(alice, kb["id"], created.json()["id"])
    assert doc["status"] == "ready" and doc["progress"] == 1.0 and doc["chunk_count"] == 3
    chunks = alice.get(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}/chunks").json()
    assert [c["heading"] for c in chunks] == ["Guide", "Guide > Install", "Guide > Backups"]
    assert chunks[2]["text"] == "Copy the data directory every night."
    assert vector_count(server, kb["id"], doc["id"]) == 3
    assert alice.get(f"/api/knowledge-bases/{kb['id']}").json()["embedding_dim"] == 8
    file = alice.get(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}/file")
    assert file.status_code == 200 and file.content == GUIDE


def test_real_pdf_and_docx_are_ingested(
    server: LiveServer, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed)
    pdf = make_pdf(["Quarterly report", "Revenue grew by 12 percent in the third quarter."])
    docx = make_docx([("Travel policy", 1), ("Book economy class for flights under 6 hours.", 0)])
    pdf_doc = add_ready(alice, kb["id"], "report.pdf", pdf)
    docx_doc = add_ready(alice, kb["id"], "policy.docx", docx)
    pdf_chunks = alice.get(
        f"/api/knowledge-bases/{kb['id']}/documents/{pdf_doc['id']}/chunks"
    ).json()
    assert [c["metadata"]["page"] for c in pdf_chunks] == [1, 2]
    assert "Revenue grew by 12 percent" in pdf_chunks[1]["text"]
    docx_chunks = alice.get(
        f"/api/knowledge-bases/{kb['id']}/documents/{docx_doc['id']}/chunks"
    ).json()
    assert docx_chunks[0]["heading"] == "Travel policy"
    assert "economy class" in docx_chunks[0]["text"]
    assert vector_count(server, kb["id"], pdf_doc["id"]) == 2


def test_bad_uploads_are_refused_and_nothing_is_stored(
    server: LiveServer, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed)
    unsupported = upload(alice, kb["id"], "data.exe", b"MZ...")
    assert unsupported.status_code == 422
    assert unsupported.json()["code"] == "unsupported_file_type"
    empty = upload(alice, kb["id"], "empty.txt", b"")
    assert empty.status_code == 422 and empty.json()["code"] == "empty_file"
    limit = server.settings.knowledge_max_document_bytes
    server.settings.knowledge_max_document_bytes = 1000
    try:
        big = upload(alice, kb["id"], "big.txt", b"a" * 1001)
    finally:
        server.settings.knowledge_max_document_bytes = limit
    assert big.status_code == 413 and big.json()["code"] == "document_too_large"
    missing = alice.post(f"/api/knowledge-bases/{kb['id']}/documents", data={"x": "1"})
    assert missing.status_code == 422 and missing.json()["code"] == "file_required"
    assert alice.get(f"/api/knowledge-bases/{kb['id']}/documents").json() == []


def test_duplicate_upload_is_detected_by_content(alice: httpx.Client, fake_embed: int) -> None:
    kb = create_kb(alice, fake_embed)
    first = add_ready(alice, kb["id"], "guide.md", GUIDE)
    again = upload(alice, kb["id"], "renamed.md", GUIDE)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_document"
    assert again.json()["details"]["document_id"] == first["id"]


def test_broken_files_end_in_a_clear_per_document_error(
    server: LiveServer, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed)
    good = add_ready(alice, kb["id"], "guide.md", GUIDE)
    cases = {
        "locked.pdf": (encrypt_pdf(make_pdf(["secret"]), "pw"), "encrypted_pdf"),
        "corrupt.pdf": (b"%PDF-1.4 this is not a pdf", "corrupt_file"),
        "corrupt.docx": (b"PK\x03\x04 broken zip", "corrupt_file"),
        "blank.pdf": (make_pdf([""]), "no_text"),
    }
    for name, (data, code) in cases.items():
        created = upload(alice, kb["id"], name, data)
        assert created.status_code == 201, created.text
        doc = wait_done(alice, kb["id"], created.json()["id"])
        assert doc["status"] == "error" and doc["error"]["code"] == code, (name, doc)
        assert doc["error"]["message"]
    counts = alice.get(f"/api/knowledge-bases/{kb['id']}").json()["documents"]
    assert counts == {"total": 5, "ready": 1, "processing": 0, "error": 4}
    assert vector_count(server, kb["id"], good["id"]) == 3


def test_embedding_failure_midway_leaves_no_vectors(
    server: LiveServer, alice: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, chunk_size=100, chunk_overlap=0)
    batch = server.settings.knowledge_embed_batch_size
    server.settings.knowledge_embed_batch_size = 1
    fake.behaviour.fail_status, fake.behaviour.fail_after = 400, 1  # the second batch fails
    try:
        created = upload(alice, kb["id"], "guide.md", GUIDE)
        doc = wait_done(alice, kb["id"], created.json()["id"])
    finally:
        server.settings.knowledge_embed_batch_size = batch
    assert doc["status"] == "error" and doc["error"]["code"] == "embedding_failed"
    assert "fake-embed" in doc["error"]["message"]
    assert vector_count(server, kb["id"], doc["id"]) == 0
    hits = alice.post(f"/api/knowledge-bases/{kb['id']}/retrieve", json={"query": "Guide"})
    assert hits.json()["hits"] == []
    fake.reset()
    assert (
        alice.post(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}/reindex").status_code
        == 202
    )
    assert wait_done(alice, kb["id"], doc["id"])["status"] == "ready"
    assert vector_count(server, kb["id"], doc["id"]) == 3


def test_delete_document_removes_its_vectors(
    server: LiveServer, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, chunk_size=100, chunk_overlap=0)
    doc = add_ready(alice, kb["id"], "guide.md", GUIDE)
    other = add_ready(alice, kb["id"], "notes.txt", b"Lunch is at noon.")
    assert vector_count(server, kb["id"], doc["id"]) == 3
    assert alice.delete(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}").status_code == 204
    assert vector_count(server, kb["id"], doc["id"]) == 0
    assert vector_count(server, kb["id"], other["id"]) == 1
    assert alice.get(f"/api/knowledge-bases/{kb['id']}/documents/{doc['id']}").status_code == 404
    again = upload(alice, kb["id"], "guide.md", GUIDE)
    assert again.status_code == 201  # no longer a duplicate


def test_retrieval_returns_scored_chunks_with_their_documents(
    alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, chunk_size=100, chunk_overlap=0)
    doc = add_ready(alice, kb["id"], "guide.md", GUIDE)
    # The fake's vectors hash the text: the chunk's exact embedding input scores 1.0.
    query = "Guide > Backups\nCopy the data directory every night."
    result = alice.post(
        f"/api/knowledge-bases/{kb['id']}/retrieve", json={"query": query, "top_k": 2}
    ).json()
    assert len(result["hits"]) == 2 and result["latency_ms"] >= 0
    best = result["hits"][0]
    assert best["score"] > 0.999 and best["heading"] == "Guide > Backups"
    assert best["document"] == {"id": doc["id"], "filename": "guide.md", "file_type": "md"}
    strict = alice.post(
        f"/api/knowledge-bases/{kb['id']}/retrieve",
        json={"query": "unrelated", "score_threshold": 0.9999},
    ).json()
    assert strict["hits"] == []
    blank = alice.post(f"/api/knowledge-bases/{kb['id']}/retrieve", json={"query": "  "})
    assert blank.status_code == 422


def test_embedding_model_is_locked_once_documents_exist(
    admin: httpx.Client, alice: httpx.Client, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed)
    add_ready(alice, kb["id"], "guide.md", GUIDE)
    response = alice.patch(
        f"/api/knowledge-bases/{kb['id']}", json={"embedding_model_id": fake_embed + 1000}
    )
    assert response.status_code == 409 and response.json()["code"] == "embedding_model_locked"


def test_a_stopped_ingestion_is_queued_again_and_finishes_after_a_restart(
    server: LiveServer, alice: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed)
    fake.behaviour.first_byte_delay = 3.0
    created = upload(alice, kb["id"], "guide.md", GUIDE).json()
    url = f"/api/knowledge-bases/{kb['id']}/documents/{created['id']}"
    deadline = time.monotonic() + 30
    while alice.get(url).json()["status"] != "processing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ingestor = server.app.state.knowledge_ingestor
    server.call(ingestor.stop())  # as at shutdown
    assert alice.get(url).json()["status"] == "queued"
    fake.behaviour.first_byte_delay = 0.0

    async def start() -> None:
        ingestor.start()

    server.call(start())
    assert wait_done(alice, kb["id"], created["id"])["status"] == "ready"
    assert vector_count(server, kb["id"], created["id"]) == 3
