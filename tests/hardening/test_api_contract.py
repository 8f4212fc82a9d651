"""schemathesis against the whole OpenAPI document, as a signed-in user, over real HTTP: for
a few generated requests per operation, no answer is a server error and every answer matches
its documented status, content type and schema. Examples are derandomized (the same each run)
and bounded, so the run is repeatable and short."""

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from llmforge.core.ids import MAX_ROW_ID
from llmforge.core.pagination import MAX_PAGE, MAX_PAGE_SIZE
from tests.conftest import LiveServer

EXAMPLES_PER_OPERATION = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Signing out or changing the password would end the session the other calls run in.
SKIPPED = {"POST /api/auth/logout", "POST /api/auth/password"}


def exercise(operation: Any, base_url: str, headers: dict[str, str]) -> None:
    @given(operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    run()


def contract_failures(server: LiveServer, alice: httpx.Client, gateway: bool) -> dict[str, str]:
    """Exercise every operation of the gateway (/v1, with one of alice's platform API keys) or
    of the rest (with her session token); the failures by operation."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    token = alice.headers["Authorization"]
    if gateway:
        created = alice.post("/api/api-keys", json={"name": "contract"})
        assert created.status_code == 201, created.text
        token = f"Bearer {created.json()['secret']}"
    failures: dict[str, str] = {}
    exercised = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED or operation.path.startswith("/v1/") != gateway:
            continue
        exercised += 1
        try:
            exercise(operation, server.url, {"Authorization": token})
        except (Exception, BaseExceptionGroup) as exc:  # all are tried; the failures listed
            failures[operation.label] = str(exc)[:2000]
    assert exercised > (0 if gateway else 100)
    return failures


def report(failures: dict[str, str]) -> str:
    return "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


# Once within the test time budget: on PostgreSQL, the stricter database (32-bit integers).
@pytest.mark.parametrize("live_server", ["postgres"], indirect=True)
def test_every_operation_keeps_its_contract(server: LiveServer, alice: httpx.Client) -> None:
    failures = contract_failures(server, alice, gateway=False)
    assert failures == {}, report(failures)


@pytest.mark.parametrize("live_server", ["postgres"], indirect=True)
def test_the_gateway_keeps_its_contract(server: LiveServer, alice: httpx.Client) -> None:
    failures = contract_failures(server, alice, gateway=True)
    assert failures == {}, report(failures)


def test_ids_and_pages_are_bounded_to_what_the_database_holds(
    server: LiveServer, alice: httpx.Client
) -> None:
    paths = alice.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if schema.get("type") == "integer" and parameter["in"] in ("path", "query"):
                    assert schema.get("maximum", 2**63) <= MAX_ROW_ID * MAX_PAGE_SIZE, (
                        method,
                        path,
                        parameter["name"],
                    )
    huge = 2**64
    for url in (
        f"/api/chat/sessions/{huge}",
        f"/api/users/{huge}",
        f"/api/usage/quotas/{huge}",
        f"/api/prompts?page={huge}",
        f"/api/model-versions?page={MAX_PAGE + 1}",
    ):
        answer = alice.get(url)
        assert answer.status_code in (403, 422), (url, answer.text)  # 403: admin routes
    assert alice.patch(f"/api/chat/sessions/{huge}", json={"title": "x"}).status_code == 422
    assert alice.delete(f"/api/chat/messages/{huge}").status_code == 422
