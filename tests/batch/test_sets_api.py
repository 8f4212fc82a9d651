"""Test sets over HTTP: uploads (CSV, JSONL), sets built in the page, bad input, ownership."""

import json

import httpx

from tests.batch.helpers import make_set, upload
from tests.conftest import USER_PASSWORD, LiveServer, login


def test_upload_csv_and_read_it_back(alice: httpx.Client) -> None:
    created = upload(
        alice,
        'prompt,reference,tags\n"2+2?",4,math;easy\nCapital of France?,Paris,\n',
        "quiz.csv",
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["source"], body["row_count"]) == ("quiz", "csv", 2)
    detail = alice.get(f"/api/batch-tests/sets/{body['id']}", params={"page_size": 1}).json()
    assert detail["rows"]["total"] == 2 and detail["rows"]["page_size"] == 1
    assert detail["rows"]["items"][0] | {"id": 0} == {
        "id": 0,
        "position": 1,
        "source_row": 2,
        "prompt": "2+2?",
        "reference": "4",
        "system_prompt": None,
        "tags": ["math", "easy"],
    }
    second = alice.get(f"/api/batch-tests/sets/{body['id']}", params={"page": 2, "page_size": 1})
    assert second.json()["rows"]["items"][0]["prompt"] == "Capital of France?"
    listed = alice.get("/api/batch-tests/sets").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]


def test_upload_jsonl_with_a_name(alice: httpx.Client) -> None:
    lines = "\n".join(
        json.dumps(row)
        for row in [
            {"prompt": "hi", "system_prompt": "Be kind.", "tags": ["greeting"]},
            {"prompt": "bye", "reference": "goodbye"},
        ]
    )
    created = upload(alice, lines, "whatever.bin", name="Greetings", format="jsonl")
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["source"]) == ("Greetings", "jsonl")
    rows = alice.get(f"/api/batch-tests/sets/{created.json()['id']}").json()["rows"]["items"]
    assert [(r["prompt"], r["system_prompt"], r["tags"]) for r in rows] == [
        ("hi", "Be kind.", ["greeting"]),
        ("bye", None, []),
    ]
    sniffed = upload(alice, lines, "no-extension")
    assert sniffed.status_code == 201 and sniffed.json()["source"] == "jsonl"


def _refused(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert response.status_code == 422, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    assert body["code"] == "invalid_test_set"
    return body


def test_bad_files_are_refused_with_row_numbers_and_create_nothing(alice: httpx.Client) -> None:
    rows = _refused(upload(alice, "prompt,reference\nok,1\n,2\nfine,3,x\n"))
    assert rows["details"]["errors"] == [
        {"row": 3, "message": "prompt is empty"},
        {"row": 4, "message": "This row has 3 fields; the header has 2."},
    ]
    assert rows["details"]["error_count"] == 2
    assert "2 problems" in rows["message"] and "row 3" in rows["message"]

    missing = _refused(upload(alice, "question\nhi\n"))
    assert missing["details"]["errors"][0]["row"] == 1
    assert "no 'prompt' column" in missing["details"]["errors"][0]["message"]

    malformed = _refused(upload(alice, '{"prompt": "ok"}\n{"prompt": \n', "set.jsonl"))
    assert malformed["details"]["errors"][0]["row"] == 2

    broken_csv = _refused(upload(alice, 'prompt\nok\n"never closed\n'))
    assert "not valid CSV" in broken_csv["details"]["errors"][0]["message"]

    too_many = _refused(upload(alice, "prompt\n" + "q\n" * 10_001))
    assert too_many["details"]["errors"] == [
        {
            "row": None,
            "message": "The test set has more than 10,000 rows; at most 10,000 are allowed.",
        }
    ]
    assert alice.get("/api/batch-tests/sets").json()["total"] == 0


def test_only_the_first_50_errors_are_listed_with_the_total(alice: httpx.Client) -> None:
    body = _refused(alice.post("/api/batch-tests/sets", json={"name": "x", "rows": [{}] * 120}))
    assert len(body["details"]["errors"]) == 50 and body["details"]["error_count"] == 120
    assert body["details"]["errors"][49] == {"row": 50, "message": "prompt is missing"}


def test_a_set_built_in_the_page(alice: httpx.Client) -> None:
    set_id = make_set(alice, [{"prompt": "a", "tags": "x;y"}, {"prompt": "b"}], "built")
    detail = alice.get(f"/api/batch-tests/sets/{set_id}").json()
    assert (detail["source"], detail["row_count"]) == ("json", 2)
    assert detail["rows"]["items"][0]["tags"] == ["x", "y"]
    no_name = alice.post("/api/batch-tests/sets", json={"rows": [{"prompt": "a"}]})
    assert no_name.status_code == 422 and no_name.json()["code"] == "validation_error"
    not_json = alice.post(
        "/api/batch-tests/sets", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    text = alice.post("/api/batch-tests/sets", content=b"x", headers={"content-type": "text/plain"})
    assert text.status_code == 422 and text.json()["code"] == "unsupported_body"
    no_file = alice.post("/api/batch-tests/sets", files={"other": ("a.csv", b"prompt\nx\n")})
    assert no_file.status_code == 422 and no_file.json()["code"] == "file_required"


def test_delete_a_set(alice: httpx.Client) -> None:
    set_id = make_set(alice, [{"prompt": "a"}])
    assert alice.delete(f"/api/batch-tests/sets/{set_id}").status_code == 204
    assert alice.get(f"/api/batch-tests/sets/{set_id}").status_code == 404


def test_another_users_set_is_a_404(server: LiveServer, alice: httpx.Client) -> None:
    set_id = make_set(alice, [{"prompt": "a"}])
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as bob:
        for response in (
            bob.get(f"/api/batch-tests/sets/{set_id}"),
            bob.delete(f"/api/batch-tests/sets/{set_id}"),
        ):
            assert response.status_code == 404
            assert response.json()["code"] == "test_set_not_found"
        assert bob.get("/api/batch-tests/sets").json()["total"] == 0
    assert alice.get(f"/api/batch-tests/sets/{set_id}").status_code == 200


def test_built_set_bad_rows_name_the_row_and_create_nothing(alice: httpx.Client) -> None:
    empty = _refused(alice.post("/api/batch-tests/sets", json={"name": "x", "rows": []}))
    assert empty["details"]["errors"] == [{"row": None, "message": "The test set has no rows."}]
    rows = [{"prompt": "ok"}, {"reference": "no prompt"}, {"prompt": " "}, "text", {"prompt": 1}]
    body = _refused(alice.post("/api/batch-tests/sets", json={"name": "x", "rows": rows}))
    assert body["details"]["errors"] == [
        {"row": 2, "message": "prompt is missing"},
        {"row": 3, "message": "prompt is empty"},
        {"row": 4, "message": "Each row must be an object with a 'prompt' key."},
        {"row": 5, "message": "prompt must be text, not int"},
    ]
    # The row count is checked before the rows (small items keep the body under the test
    # server's 64 KiB limit).
    too_many = _refused(
        alice.post("/api/batch-tests/sets", json={"name": "x", "rows": [0] * 10_001})
    )
    assert too_many["details"]["errors"] == [
        {
            "row": None,
            "message": "The test set has more than 10,000 rows; at most 10,000 are allowed.",
        }
    ]
    assert alice.get("/api/batch-tests/sets").json()["total"] == 0


def test_edit_a_set_replaces_its_name_and_rows(alice: httpx.Client) -> None:
    set_id = make_set(alice, [{"prompt": "a"}, {"prompt": "b"}], "draft")
    rows = [
        {"prompt": "b2", "reference": "B", "system_prompt": "Be short.", "tags": ["x"]},
        {"prompt": "c"},
        {"prompt": "d"},
    ]
    edited = alice.put(f"/api/batch-tests/sets/{set_id}", json={"name": " final ", "rows": rows})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["row_count"]) == ("final", 3)
    items = alice.get(f"/api/batch-tests/sets/{set_id}").json()["rows"]["items"]
    assert [(r["position"], r["source_row"], r["prompt"]) for r in items] == [
        (1, 1, "b2"),
        (2, 2, "c"),
        (3, 3, "d"),
    ]
    assert (items[0]["reference"], items[0]["system_prompt"], items[0]["tags"]) == (
        "B",
        "Be short.",
        ["x"],
    )


def test_an_edit_with_bad_rows_changes_nothing(alice: httpx.Client) -> None:
    set_id = make_set(alice, [{"prompt": "keep me"}], "kept")
    bad = alice.put(
        f"/api/batch-tests/sets/{set_id}", json={"name": "new", "rows": [{"prompt": "ok"}, {}]}
    )
    assert _refused(bad)["details"]["errors"] == [{"row": 2, "message": "prompt is missing"}]
    empty = alice.put(f"/api/batch-tests/sets/{set_id}", json={"name": "new", "rows": []})
    assert _refused(empty)["details"]["error_count"] == 1
    no_name = alice.put(f"/api/batch-tests/sets/{set_id}", json={"name": "", "rows": []})
    assert no_name.status_code == 422 and no_name.json()["code"] == "validation_error"
    detail = alice.get(f"/api/batch-tests/sets/{set_id}").json()
    assert (detail["name"], detail["row_count"]) == ("kept", 1)
    assert detail["rows"]["items"][0]["prompt"] == "keep me"


def test_another_users_set_cannot_be_edited(server: LiveServer, alice: httpx.Client) -> None:
    set_id = make_set(alice, [{"prompt": "a"}], "mine")
    server.create_user("carol@example.com")
    with login(server, "carol@example.com", USER_PASSWORD) as carol:
        response = carol.put(
            f"/api/batch-tests/sets/{set_id}", json={"name": "hers", "rows": [{"prompt": "b"}]}
        )
        assert response.status_code == 404
        assert response.json()["code"] == "test_set_not_found"
    assert alice.get(f"/api/batch-tests/sets/{set_id}").json()["name"] == "mine"
