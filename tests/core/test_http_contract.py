"""Errors, limits and operational endpoints: the parts every later capability relies on."""

import gc
import inspect

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm

from llmforge.app import ROUTERS
from llmforge.core.collector import MIDDLE_COLLECTIONS_PER_FULL
from tests.conftest import LiveServer


def test_malformed_json_wrong_types_and_invalid_email(client: httpx.Client) -> None:
    broken = client.post(
        "/api/auth/register", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["code"] == "validation_error"
    assert broken.json()["message"] == "The request body is not valid JSON."

    wrong_type = client.post("/api/auth/register", json={"email": 42, "password": ["x"]})
    body = wrong_type.json()
    assert wrong_type.status_code == 422 and set(body) == {"code", "message", "details"}
    assert body["message"].startswith("email:") and "1 more problem" in body["message"]

    invalid_email = client.post(
        "/api/auth/register", json={"email": "not-an-email", "password": "long enough"}
    )
    assert invalid_email.status_code == 422 and "email" in invalid_email.json()["message"]
    short = client.post("/api/auth/register", json={"email": "a@example.com", "password": "short"})
    assert short.status_code == 422 and "password" in short.json()["message"]


def test_oversized_body_is_refused(client: httpx.Client, server: LiveServer) -> None:
    limit = server.settings.max_request_body_bytes
    huge = b'{"email": "' + b"a" * limit + b'"}'
    declared = client.post(
        "/api/auth/login", content=huge, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["code"] == "payload_too_large"

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    streamed = client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    small = client.post(
        "/api/auth/login",
        content=iter([b'{"email": "a@example.com", ', b'"password": "p"}']),
        headers={"Content-Type": "application/json"},
    )
    assert small.status_code == 401


def test_request_id_is_returned_and_kept_when_valid(client: httpx.Client) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "trace-42"}).headers["x-request-id"]
        == "trace-42"
    )
    sneaky = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert sneaky.headers["x-request-id"] != "bad id with spaces"


def test_health_ready_and_metrics(client: httpx.Client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json() == {"status": "ready", "database": "ok"}
    client.get("/api/users/123")
    metrics = client.get("/metrics").text
    assert (
        'llmforge_http_requests_total{method="GET",route="/api/users/{user_id}",status="401"}'
        in metrics
    )
    assert "llmforge_http_request_duration_seconds_bucket" in metrics
    assert "llmforge_http_requests_in_flight" in metrics


def test_unknown_routes_and_methods(client: httpx.Client) -> None:
    missing = client.get("/api/does-not-exist")
    assert missing.status_code == 404 and missing.json()["code"] == "route_not_found"
    wrong_method = client.put("/api/auth/me")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"


def test_spa_is_served_with_fallback(client: httpx.Client) -> None:
    index = client.get("/admin/users")
    assert index.status_code == 200 and "llmforge-test-index" in index.text
    assert index.headers["cache-control"] == "no-cache"
    assert client.get("/").status_code == 200
    assert client.get("/assets/app-1234.js").text == "console.log('asset')"
    assert client.get("/favicon.ico").content == b"icon"
    assert "llmforge-test-index" in client.get("/../../etc/passwd").text


def test_openapi_documents_the_error_shape(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "ErrorResponse" in spec["components"]["schemas"]
    login = spec["paths"]["/api/auth/login"]["post"]["responses"]
    assert login["429"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorResponse")


def test_a_number_too_large_for_the_database_is_a_422_and_writes_nothing(
    server: LiveServer, alice: httpx.Client
) -> None:
    """PostgreSQL holds ids in 32 bits, SQLite in 64: one past either is the client's mistake."""
    too_large = [2**64] if server.backend == "sqlite" else [2**31, 2**64]
    for number in too_large:
        body = {"name": "notes", "embedding_model_id": number}
        refused = alice.post("/api/knowledge-bases", json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "number_out_of_range"
        assert "too large" in refused.json()["message"]
    assert alice.get("/api/knowledge-bases").json()["total"] == 0


def test_what_lives_from_start_up_is_left_out_of_full_collections(server: LiveServer) -> None:
    # full collections walked every object the app made at start-up and stalled every stream
    # for tens of milliseconds (docs/performance.md); the running app has them frozen, and
    # runs the full collections that remain ten times less often than Python would
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[2] == MIDDLE_COLLECTIONS_PER_FULL != 10  # Python's default


def _runs_on_the_loop(call: object) -> bool:
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or inspect.iscoroutinefunction(type(call).__call__)
    )


# FastAPI's own form class, on the sign-in route only, which hashes a password in a thread anyway
THREADED_ON_PURPOSE = {OAuth2PasswordRequestForm}


def _handed_to_threads(dependant: Dependant, path: str) -> set[str]:
    found = set()
    call = dependant.call
    if call is not None and call not in THREADED_ON_PURPOSE and not _runs_on_the_loop(call):
        found.add(f"{path}: {getattr(call, '__qualname__', call)}")
    for sub in dependant.dependencies:
        found |= _handed_to_threads(sub, path)
    return found


def test_no_endpoint_or_dependency_waits_for_a_worker_thread() -> None:
    # FastAPI runs a plain `def` in its thread pool: a hop per call that, on a busy loop, waits
    # for the GIL (milliseconds) before a request can start; blocking work belongs in
    # explicit to_thread calls instead
    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 100, "the capabilities' routes were not found"
    threaded = set().union(*(_handed_to_threads(route.dependant, route.path) for route in routes))
    assert not threaded, sorted(threaded)
