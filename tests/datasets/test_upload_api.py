"""Uploading datasets over real HTTP: formats, detection, validation with line numbers, size
limit, split, versions, ownership and delete."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from llmforge.audit.models import AuditEntry
from llmforge.datasets.models import Dataset
from tests.conftest import LiveServer, login
from tests.datasets.helpers import ALPACA, created, jsonl, records, upload

SHAREGPT = [
    {
        "conversations": [
            {"from": "human", "value": "Hi"},
            {"from": "gpt", "value": "Hello!"},
            {"from": "human", "value": "Capital of Italy?"},
            {"from": "gpt", "value": "Rome."},
        ],
        "system": "You are terse.",
    },
    {"conversations": [{"from": "user", "value": "2+2?"}, {"from": "assistant", "value": "4"}]},
]
OPENAI = [
    {
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there"},
        ]
    },
    {"messages": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye!"}]},
]


def datasets_root(server: LiveServer) -> Path:
    return server.settings.data_dir / "datasets"


def entries(server: LiveServer) -> set[str]:
    root = datasets_root(server)
    return {path.name for path in root.iterdir()} if root.exists() else set()


def test_alpaca_jsonl_is_stored_split_and_audited(server: LiveServer, alice: httpx.Client) -> None:
    body = created(alice, jsonl(ALPACA), filename="qa.jsonl", description="four questions")
    assert body["name"] == "qa"
    assert body["version"] == 1
    assert body["format"] == "alpaca"
    assert body["has_preferences"] is False
    assert (body["record_count"], body["train_count"], body["heldout_count"]) == (4, 4, 0)
    assert body["description"] == "four questions"
    assert body["size_bytes"] == len(jsonl(ALPACA).encode())
    directory = datasets_root(server) / str(body["id"])
    train = [json.loads(line) for line in (directory / "train.jsonl").read_text().splitlines()]
    assert train[1] == {
        "instruction": "Translate",
        "input": "bonjour",
        "output": "hello",
        "system": "Be brief.",
        "history": [],
    }
    assert train[3]["history"] == [["Hi", "Hello!"]]
    assert not (directory / "upload").exists()
    entry = server.db(
        lambda s: s.scalar(select(AuditEntry).where(AuditEntry.action == "dataset.upload"))
    )
    assert entry.target_id == str(body["id"])
    assert entry.detail["records"] == 4


def test_same_name_makes_a_new_version(alice: httpx.Client) -> None:
    first = created(alice, jsonl(ALPACA), name="faq")
    second = created(alice, jsonl(ALPACA[:2]), name="faq")
    assert (first["version"], second["version"]) == (1, 2)
    listed = alice.get("/api/datasets").json()
    assert listed["total"] == 2
    assert [item["id"] for item in listed["items"]] == [second["id"], first["id"]]


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (json.dumps(SHAREGPT, indent=2), "chat.json", "sharegpt"),
        (jsonl(OPENAI), "chat.jsonl", "openai"),
        (jsonl(SHAREGPT), "no-extension", "sharegpt"),
        (json.dumps(ALPACA), "array-without-extension", "alpaca"),
    ],
)
def test_format_is_detected(
    server: LiveServer, alice: httpx.Client, content: str, filename: str, expected: str
) -> None:
    body = created(alice, content, filename=filename)
    assert body["format"] == expected
    first = records(alice, body["id"])["items"][0]["record"]
    if expected == "sharegpt":
        assert first["conversations"][0] == {"from": "human", "value": "Hi"}
        second = records(alice, body["id"])["items"][1]["record"]
        assert [m["from"] for m in second["conversations"]] == ["human", "gpt"]
    if expected == "openai":
        assert first["messages"][0] == {"role": "system", "content": "Be kind."}


def test_json_array_lines_are_the_lines_of_each_record(alice: httpx.Client) -> None:
    content = json.dumps(SHAREGPT, indent=2)
    body = created(alice, content, filename="chat.json")
    lines = [item["line"] for item in records(alice, body["id"])["items"]]
    text_lines = content.splitlines()
    assert text_lines[lines[0] - 1].strip() == "{"
    assert text_lines[lines[1] - 1].strip() == "{"
    assert lines[0] == 2 and lines[1] > lines[0]


def test_csv_with_alpaca_columns(alice: httpx.Client) -> None:
    content = (
        "instruction,input,output,system\n"
        'Greet,,"Hello, world",\n'
        '"Two\nlines",x,y,Be short\n'
        "Sum,1+1,2,\n"
    )
    body = created(alice, content, filename="data.csv")
    assert body["format"] == "alpaca"
    items = records(alice, body["id"])["items"]
    assert [item["line"] for item in items] == [2, 3, 5]
    assert items[0]["record"]["output"] == "Hello, world"
    assert items[1]["record"] == {
        "instruction": "Two\nlines",
        "input": "x",
        "output": "y",
        "system": "Be short",
        "history": [],
    }


def test_csv_without_instruction_column_is_refused(alice: httpx.Client) -> None:
    response = upload(alice, "question,answer\nq,a\n", filename="data.csv")
    assert response.status_code == 422
    assert response.json()["details"]["errors"] == [
        {"line": 1, "message": "A CSV dataset needs an 'instruction' column (alpaca fields)."}
    ]


def test_preference_records(alice: httpx.Client) -> None:
    rows = [
        {"instruction": "Say hi", "chosen": "Hi!", "rejected": "No."},
        {"messages": None},
    ][:1] * 3
    body = created(alice, jsonl(rows))
    assert body["has_preferences"] is True
    assert records(alice, body["id"])["items"][0]["record"] == {
        "instruction": "Say hi",
        "input": "",
        "chosen": "Hi!",
        "rejected": "No.",
        "system": "",
        "history": [],
    }
    openai_pairs = [
        {
            "messages": [{"role": "user", "content": "Hi"}],
            "chosen": "Hello!",
            "rejected": {"role": "assistant", "content": "Go away."},
        }
    ]
    pairs = created(alice, jsonl(openai_pairs))
    record = records(alice, pairs["id"])["items"][0]["record"]
    assert record["chosen"] == {"role": "assistant", "content": "Hello!"}
    assert pairs["stats"]["lint"]["broken_alternation"]["count"] == 0


def test_mixed_preference_records_are_invalid(alice: httpx.Client) -> None:
    rows = [ALPACA[0], {"instruction": "Say hi", "chosen": "Hi!", "rejected": "No."}]
    response = upload(alice, jsonl(rows))
    assert response.status_code == 422
    assert response.json()["details"]["errors"] == [{"line": 1, "message": "'chosen' is missing."}]


def test_every_bad_line_is_reported_and_nothing_is_written(
    server: LiveServer, alice: httpx.Client
) -> None:
    lines = [json.dumps(ALPACA[0])] * 100
    lines[1] = '{"instruction": "broken",'
    lines[3] = json.dumps({"instruction": "no answer"})
    lines[5] = json.dumps({"instruction": 7, "output": "x"})
    lines[7] = json.dumps(["not", "an", "object"])
    lines[9] = json.dumps({"instruction": "q", "output": "a", "history": [["only one"]]})
    for index in range(20, 75):
        lines[index] = json.dumps({"instruction": "", "output": "a"})
    before = entries(server)
    response = upload(alice, "\n".join(lines) + "\n")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_dataset"
    assert body["details"]["error_count"] == 60
    errors = body["details"]["errors"]
    assert len(errors) == 50
    assert errors[:5] == [
        {
            "line": 2,
            "message": "Invalid JSON: Expecting property name enclosed in double quotes "
            "(column 26).",
        },
        {"line": 4, "message": "'output' is missing."},
        {"line": 6, "message": "'instruction' must be a string, not int."},
        {"line": 8, "message": "A record must be a JSON object, not list."},
        {"line": 10, "message": "'history' must be a list of [user, assistant] string pairs."},
    ]
    assert errors[5] == {"line": 21, "message": "'instruction' is empty."}
    assert "line 2, 4, 6, 8, 10, ..." in body["message"]
    assert entries(server) == before
    assert server.db(lambda s: s.scalar(select(Dataset.id))) is None


def test_chat_record_errors(alice: httpx.Client) -> None:
    rows = [
        {"conversations": [{"from": "human", "value": "Hi"}, {"from": "bot", "value": "x"}]},
        {"conversations": [{"from": "human", "value": 3}]},
        {"conversations": []},
        {"conversations": ["text"]},
    ]
    response = upload(alice, jsonl(rows), format="sharegpt")
    messages = [error["message"] for error in response.json()["details"]["errors"]]
    assert messages == [
        "conversations[1]: unknown from 'bot' (expected one of assistant, function_call, gpt, "
        "human, observation, system, tool, user).",
        "conversations[0]: 'value' must be a string.",
        "'conversations' must be a non-empty list of messages.",
        "conversations[0] must be an object with 'from' and 'value'.",
    ]


def test_chosen_format_is_enforced(alice: httpx.Client) -> None:
    response = upload(alice, jsonl(ALPACA[:2]), format="openai")
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0] == {
        "line": 1,
        "message": "'messages' must be a non-empty list of messages.",
    }


def test_unknown_format_and_empty_files(alice: httpx.Client) -> None:
    unknown = upload(alice, jsonl([{"question": "q", "answer": "a"}]))
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_dataset_format"
    empty = upload(alice, b"")
    assert (empty.status_code, empty.json()["code"]) == (422, "empty_dataset")
    blank = upload(alice, "[]", filename="x.json")
    assert (blank.status_code, blank.json()["code"]) == (422, "empty_dataset")
    not_utf8 = upload(alice, b'{"instruction": "caf\xe9", "output": "x"}\n')
    assert not_utf8.json()["details"]["errors"] == [
        {"line": 1, "message": "The line is not valid UTF-8."}
    ]


def test_oversized_upload_is_refused_and_leaves_nothing(
    server: LiveServer, alice: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.settings, "dataset_max_bytes", 1000)
    before = entries(server)
    content = jsonl(ALPACA * 20)
    declared = upload(alice, content)
    assert declared.status_code == 413
    assert declared.json()["code"] == "dataset_too_large"
    assert declared.json()["details"] == {"max_bytes": 1000}

    def chunks() -> Any:
        for start in range(0, len(content), 100):
            yield content[start : start + 100].encode()

    streamed = alice.post("/api/datasets", params={"filename": "a.jsonl"}, content=chunks())
    assert streamed.status_code == 413
    assert entries(server) == before
    assert server.db(lambda s: s.scalar(select(Dataset.id))) is None


def test_uploads_over_the_app_body_limit_pass_under_their_own(
    server: LiveServer, alice: httpx.Client
) -> None:
    content = jsonl(ALPACA * 400)
    assert len(content) > server.settings.max_request_body_bytes
    body = created(alice, content)
    assert body["record_count"] == 1600


def test_split_is_seeded_and_deterministic(server: LiveServer, alice: httpx.Client) -> None:
    rows = [{"instruction": f"question {n}", "output": f"answer {n}"} for n in range(20)]

    def heldout(seed: int) -> list[int]:
        body = created(alice, jsonl(rows), split_percent=25, split_seed=seed)
        assert (body["train_count"], body["heldout_count"]) == (15, 5)
        assert (body["split_percent"], body["split_seed"]) == (25, seed)
        items = records(alice, body["id"], page_size=50)["items"]
        held = [item["index"] for item in items if item["heldout"]]
        directory = datasets_root(server) / str(body["id"])
        held_file = (directory / "heldout.jsonl").read_text().splitlines()
        assert [json.loads(line)["instruction"] for line in held_file] == [
            f"question {index - 1}" for index in held
        ]
        assert len((directory / "train.jsonl").read_text().splitlines()) == 15
        return held

    assert heldout(7) == heldout(7)
    assert heldout(7) != heldout(8)


@pytest.mark.parametrize(("count", "percent"), [(1, 10), (1, 50), (3, 10)])
def test_dataset_too_short_for_the_split(
    server: LiveServer, alice: httpx.Client, count: int, percent: int
) -> None:
    before = entries(server)
    response = upload(alice, jsonl(ALPACA[:count]), split_percent=percent)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "dataset_too_short"
    assert body["details"] == {"record_count": count, "split_percent": percent}
    assert entries(server) == before


def test_bad_parameters(alice: httpx.Client) -> None:
    for params in ({"split_percent": 51}, {"format": "yaml"}, {"cutoff_len": 0}):
        response = upload(alice, jsonl(ALPACA), **params)
        assert response.status_code == 422, params


def test_preview_pages(alice: httpx.Client) -> None:
    rows = [{"instruction": f"q{n}", "output": f"a{n}"} for n in range(45)]
    body = created(alice, "\n" + jsonl(rows))
    page = records(alice, body["id"], page=3, page_size=20)
    assert (page["total"], page["page"], page["page_size"]) == (45, 3, 20)
    assert [item["index"] for item in page["items"]] == [41, 42, 43, 44, 45]
    assert [item["line"] for item in page["items"]] == [42, 43, 44, 45, 46]
    assert page["items"][0]["record"]["instruction"] == "q40"
    assert records(alice, body["id"], page=4, page_size=20)["items"] == []


def test_other_users_get_404_and_admins_see_it(
    server: LiveServer, alice: httpx.Client, admin: httpx.Client
) -> None:
    body = created(alice, jsonl(ALPACA))
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", "user password 1") as bob:
        for path in ("", "/records", "/stats"):
            response = bob.get(f"/api/datasets/{body['id']}{path}")
            assert response.status_code == 404
            assert response.json()["code"] == "dataset_not_found"
        assert bob.delete(f"/api/datasets/{body['id']}").status_code == 404
        assert bob.get("/api/datasets").json()["total"] == 0
    assert admin.get(f"/api/datasets/{body['id']}").json()["name"] == body["name"]
    assert alice.get("/api/datasets/999999").status_code == 404


def test_delete_removes_row_and_files(server: LiveServer, alice: httpx.Client) -> None:
    body = created(alice, jsonl(ALPACA))
    directory = datasets_root(server) / str(body["id"])
    assert directory.is_dir()
    assert alice.delete(f"/api/datasets/{body['id']}").status_code == 204
    assert not directory.exists()
    assert alice.get(f"/api/datasets/{body['id']}").status_code == 404
    entry = server.db(
        lambda s: s.scalar(select(AuditEntry).where(AuditEntry.action == "dataset.delete"))
    )
    assert entry.target_id == str(body["id"])
