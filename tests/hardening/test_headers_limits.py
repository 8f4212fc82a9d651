"""Security headers on every response, CORS only for configured origins, and a body size limit
on every upload route (found from the OpenAPI document, so a new upload route is covered)."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from llmforge.app import create_app
from llmforge.core.middleware import APP_CSP, DOCS_CSP
from llmforge.migrate import upgrade
from llmforge.settings import Settings
from tests.conftest import LiveServer, start_server

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_ORIGIN = "https://tools.example.com"
UPLOAD_TYPES = {"multipart/form-data", "application/octet-stream"}
UPLOAD_ROUTES = {
    ("post", "/api/datasets"),
    ("post", "/api/knowledge-bases/{kb_id}/documents"),
    ("post", "/api/batch-tests/sets"),
}


def assert_security_headers(response: httpx.Response, policy: str = APP_CSP) -> None:
    assert response.headers["content-security-policy"] == policy, response.request.url
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_every_kind_of_response_carries_the_security_headers(
    server: LiveServer, client: httpx.Client
) -> None:
    responses = [
        client.get("/healthz"),  # JSON
        client.get("/api/auth/me"),  # 401 from a dependency
        client.get("/api/no-such-route"),  # 404
        client.post("/api/auth/login", content=b"x" * (server.settings.max_request_body_bytes + 1)),
        client.get("/"),  # the SPA's index.html (a file response)
        client.get("/chat/42"),  # a client-side route
        client.get("/assets/app-1234.js"),  # static files
        client.get("/openapi.json"),
        client.get("/metrics"),
    ]
    assert [r.status_code for r in responses] == [200, 401, 404, 413, 200, 200, 200, 200, 200]
    for response in responses:
        assert_security_headers(response)
    for docs in ("/docs", "/redoc"):
        assert_security_headers(client.get(docs), DOCS_CSP)


def test_the_policy_forbids_framing_inline_scripts_and_plugins() -> None:
    directives = dict(d.split(" ", 1) for d in APP_CSP.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["connect-src"] == "'self'"  # the API and its event streams: same origin
    # The page the build starts from loads its scripts from files, none inline.
    index = (ROOT / "web" / "index.html").read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", index, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", index)


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory, web_dist: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("cors")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        web_dist=web_dist,
        cors_origins=f"{ALLOWED_ORIGIN}/",  # type: ignore[arg-type]  # as the variable reads
    )
    upgrade(settings)
    server, _loop, thread, port = start_server(create_app(settings))
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/api/auth/login",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )


def test_cors_answers_only_the_configured_origins(cors_server: str) -> None:
    allowed = preflight(cors_server, ALLOWED_ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert_security_headers(allowed)
    other = preflight(cors_server, "https://evil.example.com")
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    simple = httpx.get(f"{cors_server}/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert simple.headers["access-control-expose-headers"] == "X-Request-ID"
    foreign = httpx.get(f"{cors_server}/healthz", headers={"Origin": "https://evil.example.com"})
    assert foreign.status_code == 200 and "access-control-allow-origin" not in foreign.headers


def test_without_configured_origins_only_the_same_origin_works(server: LiveServer) -> None:
    assert server.settings.cors_origins == []
    refused = preflight(server.url, ALLOWED_ORIGIN)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    same = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": "nobody@example.com", "password": "wrong password"},
        headers={"Origin": server.url},
    )
    assert same.status_code == 401  # reaches the app; no CORS headers needed
    assert "access-control-allow-origin" not in same.headers


def test_cors_origins_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMFORGE_CORS_ORIGINS", " https://a.example ,http://b.example:3000/ ")
    assert Settings(_env_file=None).cors_origins == [  # type: ignore[call-arg]
        "https://a.example",
        "http://b.example:3000",
    ]
    monkeypatch.setenv("LLMFORGE_CORS_ORIGINS", "*")
    with pytest.raises(ValidationError, match="one by one"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def upload_routes(client: httpx.Client) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return {
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if UPLOAD_TYPES & set(operation.get("requestBody", {}).get("content", {}))
    }


def oversized(client: httpx.Client, path: str, size: int, chunked: bool) -> httpx.Response:
    body = b"x" * size
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    if path == "/api/datasets":
        headers = {"Content-Type": "application/octet-stream"}
    content = iter([body[i : i + 8192] for i in range(0, size, 8192)]) if chunked else body
    return client.post(path, params={"filename": "big.jsonl"}, content=content, headers=headers)


def test_every_upload_route_refuses_bodies_over_its_limit(
    server: LiveServer, alice: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert upload_routes(alice) == UPLOAD_ROUTES, "a new upload route: add it here"
    monkeypatch.setattr(server.settings, "dataset_max_bytes", 100_000)
    for _method, template in sorted(UPLOAD_ROUTES):
        path = template.replace("{kb_id}", "1")  # refused before the id is looked up
        is_dataset = path == "/api/datasets"
        limit = 100_000 if is_dataset else server.settings.max_request_body_bytes
        for chunked in (False, True):
            response = oversized(alice, path, limit + 1, chunked)
            assert response.status_code == 413, (path, chunked, response.text)
            code = "dataset_too_large" if is_dataset else "payload_too_large"
            assert response.json() == {
                "code": code,
                "message": response.json()["message"],
                "details": {"max_bytes": limit},
            }
        under = oversized(alice, path, limit - 10, chunked=True)
        assert under.status_code != 413, path  # at the limit the route itself answers
    assert alice.get("/api/datasets").json()["total"] == 0


def test_default_limits_match_the_nginx_config() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    sizes = [int(size) * 1024 * 1024 for size in re.findall(r"client_max_body_size (\d+)m;", nginx)]
    assert sizes == [defaults.max_request_body_bytes, defaults.dataset_max_bytes]
    # A knowledge document travels in a multipart body under the general limit.
    assert defaults.knowledge_max_document_bytes < defaults.max_request_body_bytes
