"""Every list query the pages make can be answered from an index on PostgreSQL.

The list endpoints are called as a user and as an admin; each SELECT they send is explained
with sequential scans disabled (`enable_seqscan = off`): the planner then takes any index that
serves the query's filter or order, so a sequential scan left in the plan means that no index
can. Small catalogue tables that every user reads whole are listed in WHOLE_TABLE_READS."""

from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.conftest import LiveServer

pytestmark = pytest.mark.parametrize("live_server", ["postgres"], indirect=True)

LIST_PAGES = (
    "/api/chat/sessions",
    "/api/compare",
    "/api/batch-tests/sets",
    "/api/batch-tests/runs",
    "/api/prompts",
    "/api/prompts/categories",
    "/api/prompts/tags",
    "/api/datasets",
    "/api/training/jobs",
    "/api/model-versions",
    "/api/knowledge-bases",
    "/api/dify-apps",
    "/api/api-keys",
    "/api/usage/me",
    "/api/models",
)
ADMIN_PAGES = ("/api/users", "/api/audit", "/api/auth/locks", "/api/usage/quotas")
# Read whole on purpose: a handful of rows an admin configures, the same for every user.
WHOLE_TABLE_READS = {"providers", "models", "app_settings", "base_models", "user_quotas"}


def _capture(server: LiveServer, client: httpx.Client, paths: tuple[str, ...]) -> list[Any]:
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = server.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return statements


def _scanned_whole(plan: Any) -> set[str]:
    tables = {plan["Relation Name"]} if plan.get("Node Type") == "Seq Scan" else set()
    for child in plan.get("Plans", []):
        tables |= _scanned_whole(child)
    return tables


async def _explain(server: LiveServer, statement: str, parameters: Any) -> set[str]:
    async with server.app.state.engine.connect() as connection:
        await connection.exec_driver_sql("SET enable_seqscan = off")
        result = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = result.scalar_one()
    return _scanned_whole(plan[0]["Plan"])


def test_every_list_query_is_served_by_an_index(
    server: LiveServer, alice: httpx.Client, admin: httpx.Client
) -> None:
    statements = _capture(server, alice, LIST_PAGES) + _capture(server, admin, ADMIN_PAGES)
    assert len(statements) > len(LIST_PAGES), "the list queries were not captured"
    unindexed = {}
    for statement, parameters in statements:
        tables = server.call(_explain(server, statement, parameters)) - WHOLE_TABLE_READS
        if tables:
            unindexed[" ".join(statement.split())[:300]] = sorted(tables)
    assert not unindexed, "\n".join(f"{tables}: {sql}" for sql, tables in unindexed.items())
