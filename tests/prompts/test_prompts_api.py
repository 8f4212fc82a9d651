"""Prompt templates over real HTTP, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from llmforge.prompts.models import PromptTemplate, PromptTemplateVersion
from llmforge.prompts.router import router
from tests.conftest import USER_PASSWORD, LiveServer, login

GREETING = {
    "name": "Greeting",
    "description": "Say hello politely",
    "category": "Support",
    "tags": ["polite", "email"],
    "body": "Hello {{ name }}, welcome to {{place}}!",
    "variables": [
        {"name": "name", "description": "who", "required": True},
        {"name": "place", "default": "llmforge"},
    ],
}


@pytest.fixture
def bob(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as http:
        yield http


def create(http: httpx.Client, **changes: Any) -> dict[str, Any]:
    response = http.post("/api/prompts", json={**GREETING, **changes})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def counts(server: LiveServer) -> tuple[int, int]:
    async def count(session: Any) -> tuple[int, int]:
        templates = await session.scalar(select(func.count()).select_from(PromptTemplate))
        versions = await session.scalar(select(func.count()).select_from(PromptTemplateVersion))
        return int(templates), int(versions)

    return server.db(count)  # type: ignore[no-any-return]


def audit_actions(admin: httpx.Client) -> list[tuple[str, dict[str, Any]]]:
    entries = admin.get("/api/audit", params={"page_size": 200}).json()["items"]
    return [(e["action"], e["detail"]) for e in entries if e["action"].startswith("prompt.")]


def test_crud_versions_and_audit(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client
) -> None:
    created = create(alice)
    me = alice.get("/api/auth/me").json()["id"]
    assert created["owner_id"] == me and created["current_version"] == 1
    assert created["shared"] is False and created["editable"] is True
    assert created["variables"][1] == {
        "name": "place",
        "description": "",
        "default": "llmforge",
        "required": False,
    }
    template_id = created["id"]
    assert alice.get(f"/api/prompts/{template_id}").json() == created

    renamed = alice.patch(f"/api/prompts/{template_id}", json={"name": "  Hello  "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Hello" and renamed.json()["current_version"] == 2
    edited = alice.patch(
        f"/api/prompts/{template_id}",
        json={"body": "Hi {{name}}", "category": "", "tags": ["short"], "base_version": 2},
    ).json()
    assert edited["current_version"] == 3 and edited["category"] is None
    assert edited["tags"] == ["short"] and edited["body"] == "Hi {{name}}"
    same = alice.patch(f"/api/prompts/{template_id}", json={"name": "Hello", "body": "Hi {{name}}"})
    assert same.json()["current_version"] == 3, "a request that changes nothing makes no version"

    versions = alice.get(f"/api/prompts/{template_id}/versions").json()
    assert versions["total"] == 3
    assert [v["version"] for v in versions["items"]] == [3, 2, 1]
    assert [v["name"] for v in versions["items"]] == ["Hello", "Hello", "Greeting"]
    assert versions["items"][0]["created_by"] == me
    first = alice.get(f"/api/prompts/{template_id}/versions/1").json()
    assert first["body"] == GREETING["body"] and first["category"] == "Support"
    assert alice.get(f"/api/prompts/{template_id}/versions/9").json()["code"] == (
        "version_not_found"
    )

    assert alice.delete(f"/api/prompts/{template_id}").status_code == 204
    assert alice.get(f"/api/prompts/{template_id}").status_code == 404
    assert counts(server) == (0, 0), "versions go with their template"

    actions = audit_actions(admin)
    assert [action for action, _ in actions] == [
        "prompt.delete",
        "prompt.update",
        "prompt.update",
        "prompt.create",
    ]
    assert actions[-1][1] == {"name": "Greeting", "version": 1, "shared": False}
    assert actions[-2][1] == {"name": "Hello", "version": 2, "changed": ["name"]}
    assert set(actions[-3][1]["changed"]) == {"category", "tags", "body"}
    assert all(
        "Hello {{" not in str(detail) and "Hi {{" not in str(detail) for _, detail in actions
    )


def test_search_and_filters(alice: httpx.Client, bob: httpx.Client, admin: httpx.Client) -> None:
    create(alice, name="Bug report", description="Triage a 100% crash", category="Dev", tags=["qa"])
    create(
        alice,
        name="Release notes",
        body="Summarise CHANGES for {{name}}",
        category=None,
        tags=["dev", "qa"],
    )
    create(alice, name="Translate", category="Language", tags=["i18n"])
    create(bob, name="Bob's secret bug", category="Secret", tags=["hidden"])
    create(admin, name="Company tone", category="Support", tags=["qa", "official"], shared=True)

    def names(**params: Any) -> list[str]:
        page = alice.get("/api/prompts", params=params)
        assert page.status_code == 200, page.text
        return sorted(item["name"] for item in page.json()["items"])

    assert names() == ["Bug report", "Company tone", "Release notes", "Translate"]
    assert names(q="BUG") == ["Bug report"]  # name, case-insensitive; bob's stays hidden
    assert names(q="crash") == ["Bug report"]  # description
    assert names(q="changes FOR") == ["Release notes"]  # body
    assert names(q="welcome") == ["Bug report", "Company tone", "Translate"]
    assert names(q="100%") == ["Bug report"]
    assert names(q="%") == ["Bug report"]  # a wildcard is a literal character
    assert names(q="_") == []
    assert names(category="Support") == ["Company tone"]
    assert names(category="Secret") == []
    assert names(tag="qa") == ["Bug report", "Company tone", "Release notes"]
    assert names(tag="qa", category="Dev") == ["Bug report"]
    assert names(tag="q") == [] and names(tag="hidden") == []
    assert names(scope="mine") == ["Bug report", "Release notes", "Translate"]
    assert names(scope="shared") == ["Company tone"]
    assert names(scope="shared", q="bug") == []
    assert alice.get("/api/prompts", params={"scope": "everything"}).status_code == 422

    page = alice.get("/api/prompts", params={"page": 2, "page_size": 3}).json()
    assert page["total"] == 4 and page["page"] == 2 and len(page["items"]) == 1
    newest_first = [item["name"] for item in alice.get("/api/prompts").json()["items"]]
    assert newest_first[0] == "Company tone"

    assert alice.get("/api/prompts/categories").json() == ["Dev", "Language", "Support"]
    assert alice.get("/api/prompts/tags").json() == ["dev", "i18n", "official", "qa"]
    assert bob.get("/api/prompts/tags").json() == ["hidden", "official", "qa"]


def test_diff_and_restore(admin: httpx.Client, alice: httpx.Client) -> None:
    template = create(alice, body="line one\nline two\nline three\n")
    template_id = template["id"]
    alice.patch(
        f"/api/prompts/{template_id}",
        json={"body": "line one\nline 2\nline three\nline four {{name}}\n", "tags": ["x"]},
    )
    diff = alice.get(
        f"/api/prompts/{template_id}/diff", params={"from_version": 1, "to_version": 2}
    ).json()
    assert diff["from_version"] == 1 and diff["to_version"] == 2 and diff["body_changed"]
    assert diff["fields"] == {"tags": [["polite", "email"], ["x"]]}
    assert "--- version 1" in diff["body_diff"] and "+++ version 2" in diff["body_diff"]
    assert "-line two\n+line 2\n" in diff["body_diff"]
    assert [(line["op"], line["text"]) for line in diff["lines"]] == [
        ("equal", "line one"),
        ("delete", "line two"),
        ("insert", "line 2"),
        ("equal", "line three"),
        ("insert", "line four {{name}}"),
    ]
    assert diff["lines"][1]["old_line"] == 2 and diff["lines"][1]["new_line"] is None
    assert diff["lines"][4]["new_line"] == 4
    default = alice.get(f"/api/prompts/{template_id}/diff").json()
    assert (default["from_version"], default["to_version"]) == (1, 2)
    missing = alice.get(f"/api/prompts/{template_id}/diff", params={"to_version": 7})
    assert missing.status_code == 404 and missing.json()["code"] == "version_not_found"

    restored = alice.post(f"/api/prompts/{template_id}/restore/1")
    assert restored.status_code == 200, restored.text
    assert restored.json()["current_version"] == 3
    assert restored.json()["body"] == "line one\nline two\nline three\n"
    assert restored.json()["tags"] == ["polite", "email"]
    versions = alice.get(f"/api/prompts/{template_id}/versions").json()["items"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["body"] == versions[2]["body"]
    same = alice.get(
        f"/api/prompts/{template_id}/diff", params={"from_version": 1, "to_version": 3}
    ).json()
    assert same["fields"] == {} and same["body_diff"] == "" and not same["body_changed"]
    assert {line["op"] for line in same["lines"]} == {"equal"}
    assert alice.post(f"/api/prompts/{template_id}/restore/9").status_code == 404
    assert alice.get(f"/api/prompts/{template_id}").json()["current_version"] == 3
    assert ("prompt.restore", {"name": "Greeting", "version": 3, "restored_from": 1}) in (
        audit_actions(admin)
    )


def test_render_defaults_required_and_no_double_expansion(alice: httpx.Client) -> None:
    template = create(alice)
    url = f"/api/prompts/{template['id']}/render"
    rendered = alice.post(url, json={"values": {"name": "Ada"}})
    assert rendered.json() == {"text": "Hello Ada, welcome to llmforge!"}
    overridden = alice.post(url, json={"values": {"name": "Ada", "place": "Paris"}})
    assert overridden.json()["text"] == "Hello Ada, welcome to Paris!"

    missing = alice.post(url, json={"values": {"place": "Paris"}})
    assert missing.status_code == 422 and missing.json()["code"] == "missing_variable"
    assert "name" in missing.json()["message"]
    assert missing.json()["details"] == {"variables": ["name"]}
    empty = alice.post(url, json={"values": {"name": ""}})
    assert empty.json()["code"] == "missing_variable"
    unknown = alice.post(url, json={"values": {"name": "Ada", "nmae": "typo"}})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_variable"
    assert "nmae" in unknown.json()["message"]

    sneaky = alice.post(
        url, json={"values": {"name": "{{place}} {{name}} {% raw %} ${x} {0} \\1 \\g<0>"}}
    )
    assert sneaky.json()["text"] == (
        "Hello {{place}} {{name}} {% raw %} ${x} {0} \\1 \\g<0>, welcome to llmforge!"
    )


def test_preview_without_saving(server: LiveServer, alice: httpx.Client) -> None:
    body = {
        "body": "Dear {{who}},\n{{ text }}",
        "variables": [{"name": "who", "default": "team"}, {"name": "text", "required": True}],
        "values": {"text": "{{who}} owes me"},
    }
    preview = alice.post("/api/prompts/preview", json=body)
    assert preview.status_code == 200, preview.text
    assert preview.json()["text"] == "Dear team,\n{{who}} owes me"
    undeclared = alice.post("/api/prompts/preview", json={**body, "body": "{{nope}} {{who}}"})
    assert undeclared.status_code == 422 and undeclared.json()["code"] == "undeclared_variable"
    assert undeclared.json()["details"] == {"variables": ["nope"]}
    missing = alice.post("/api/prompts/preview", json={**body, "values": {}})
    assert missing.json()["code"] == "missing_variable" and "text" in missing.json()["message"]
    assert counts(server) == (0, 0)


def test_bad_input_stores_nothing(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client
) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"body": "Hi {{name}} from {{ sender }} and {{x}}"}, 422, "undeclared_variable"),
        (
            {"variables": [{"name": "name"}, {"name": "place"}, {"name": "name"}]},
            422,
            "duplicate_variable",
        ),
        ({"variables": [{"name": "1st"}]}, 422, "validation_error"),
        ({"variables": [{"name": "name", "evil": True}]}, 422, "validation_error"),
        ({"name": "x" * 201}, 422, "validation_error"),
        ({"name": "   "}, 422, "validation_error"),
        ({"body": ""}, 422, "validation_error"),
        ({"tags": [f"t{i}" for i in range(21)]}, 422, "validation_error"),
        (
            {"body": "no variables", "variables": [{"name": f"v{i}"} for i in range(51)]},
            422,
            "validation_error",
        ),
        ({"shared": True}, 403, "sharing_requires_admin"),
    ]
    for changes, status, code in cases:
        response = alice.post("/api/prompts", json={**GREETING, **changes})
        assert (response.status_code, response.json()["code"]) == (status, code), changes
    undeclared = alice.post("/api/prompts", json={**GREETING, "body": "{{a}} {{b}} {{a}}"})
    assert undeclared.json()["details"] == {"variables": ["a", "b"]}
    assert "a, b" in undeclared.json()["message"]
    assert counts(server) == (0, 0)

    template = create(alice)
    url = f"/api/prompts/{template['id']}"
    refused = alice.patch(url, json={"name": "Changed", "body": "{{surprise}}"})
    assert refused.status_code == 422 and refused.json()["code"] == "undeclared_variable"
    dropped = alice.patch(url, json={"variables": [{"name": "name"}]})
    assert dropped.json()["code"] == "undeclared_variable"  # the body still uses {{place}}
    stale = alice.patch(url, json={"name": "Changed", "base_version": 5})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    share = alice.patch(url, json={"shared": True, "name": "Changed"})
    assert share.status_code == 403 and share.json()["code"] == "sharing_requires_admin"
    assert alice.get(url).json() == template
    assert counts(server) == (1, 1)
    assert [action for action, _ in audit_actions(admin)] == ["prompt.create"]
    for path in ("/api/prompts/0", "/api/prompts/abc", "/api/prompts/99999999999999"):
        assert alice.get(path).status_code == 422
    assert alice.get("/api/prompts/12345").json()["code"] == "template_not_found"


def concrete(path: str, template_id: int) -> str:
    return path.replace("{template_id}", str(template_id)).replace("{version}", "1")


def template_routes() -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in router.routes
        if isinstance(route, APIRoute) and "{template_id}" in route.path
        for method in route.methods or ()
    ]


BODIES = {"PATCH": {"name": "Mine now"}, "POST": {"values": {"name": "x"}}}


def test_another_users_private_template_is_404_on_every_route(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, bob: httpx.Client
) -> None:
    template = create(bob)
    routes = template_routes()
    assert len(routes) >= 8, routes
    for http in (alice, admin):  # private means private, from admins too
        for method, path in routes:
            response = http.request(method, concrete(path, template["id"]), json=BODIES.get(method))
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["code"] == "template_not_found"
            assert "Greeting" not in response.text
    assert bob.get(f"/api/prompts/{template['id']}").json() == template
    assert bob.get(f"/api/prompts/{template['id']}/versions").json()["total"] == 1
    for http in (alice, admin):
        assert http.get("/api/prompts").json()["total"] == 0
        assert http.get("/api/prompts/categories").json() == []
        assert http.get("/api/prompts/tags").json() == []
    anonymous = httpx.Client(base_url=server.url)
    for method, path in [*routes, ("GET", "/api/prompts"), ("POST", "/api/prompts/preview")]:
        response = anonymous.request(
            method, concrete(path, template["id"]), json=BODIES.get(method)
        )
        assert response.status_code == 401, (method, path)
    anonymous.close()


def test_shared_templates_are_read_only_for_users(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client
) -> None:
    shared = create(admin, name="House style", shared=True)
    assert shared["shared"] is True and shared["editable"] is True
    url = f"/api/prompts/{shared['id']}"
    seen = alice.get(url).json()
    assert seen["editable"] is False and seen["name"] == "House style"
    assert alice.get(f"{url}/versions").json()["total"] == 1
    assert alice.get(f"{url}/versions/1").status_code == 200
    assert alice.get(f"{url}/diff").status_code == 200
    rendered = alice.post(f"{url}/render", json={"values": {"name": "Alice"}})
    assert rendered.json()["text"] == "Hello Alice, welcome to llmforge!"

    for method, path, body in (
        ("PATCH", url, {"name": "Alice's now"}),
        ("PATCH", url, {"shared": False}),
        ("DELETE", url, None),
        ("POST", f"{url}/restore/1", None),
    ):
        response = alice.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "template_read_only"
    assert alice.get(url).json() == seen
    assert counts(server) == (1, 1)

    edited = admin.patch(url, json={"body": "Hello {{name}}"}).json()
    assert edited["current_version"] == 2 and edited["shared"] is True
    unshared = admin.patch(url, json={"shared": False}).json()
    assert unshared["shared"] is False and unshared["current_version"] == 2
    assert alice.get(url).status_code == 404
    reshared = admin.patch(url, json={"shared": True})
    assert reshared.json()["shared"] is True
    assert ("prompt.update", {"name": "House style", "version": 2, "shared": False}) in (
        audit_actions(admin)
    )
    assert admin.delete(url).status_code == 204
    assert alice.get(url).status_code == 404

    private = create(alice)
    promoted = alice.patch(f"/api/prompts/{private['id']}", json={"shared": True})
    assert promoted.status_code == 403 and promoted.json()["code"] == "sharing_requires_admin"


def test_user_deletion_takes_their_templates(server: LiveServer, admin: httpx.Client) -> None:
    user = server.create_user("leaving@example.com")
    with login(server, "leaving@example.com", USER_PASSWORD) as leaving:
        create(leaving)
    shared = create(admin, shared=True)
    admin.patch(f"/api/prompts/{shared['id']}", json={"name": "Edited by admin"})
    assert admin.delete(f"/api/users/{user.id}").status_code == 204
    assert counts(server) == (1, 2)
