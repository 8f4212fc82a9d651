"""Statistics and lint on files whose numbers are known, with a real tokenizer.json."""

from pathlib import Path

import httpx
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers

from llmforge.datasets.stats import histogram
from tests.conftest import LiveServer
from tests.datasets.helpers import created, jsonl, upload

KNOWN = [
    {"instruction": "a b c", "output": "d e"},
    {"instruction": "a", "input": "b", "output": ""},
    {"instruction": "a b c", "output": "d e"},
    {"instruction": "one two three four", "output": "five six", "system": "sys"},
]


@pytest.fixture
def model_dir(server: LiveServer) -> Path:
    """A base model directory inside the model roots whose tokenizer counts words."""
    directory = server.settings.resolved_model_roots[0] / "word-model"
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.save(str(directory / "tokenizer.json"))
    return directory


def test_stats_with_the_base_model_tokenizer(alice: httpx.Client, model_dir: Path) -> None:
    body = created(alice, jsonl(KNOWN), cutoff_len=5, base_model_path=str(model_dir))
    stats = body["stats"]
    assert stats["tokenizer"] == "word-model/tokenizer.json"
    assert stats["tokens"] == {"min": 2, "max": 7, "mean": 4.75, "p50": 5, "p95": 7, "total": 19}
    assert stats["cutoff_len"] == 5
    assert stats["mean_turns"] == 2.0
    assert stats["lint"] == {
        "broken_alternation": {"count": 0, "lines": []},
        "duplicate": {"count": 1, "lines": [3]},
        "empty_answer": {"count": 1, "lines": [2]},
        "over_cutoff": {"count": 1, "lines": [4]},
    }
    counts = {item["start"]: item["count"] for item in stats["histogram"] if item["count"]}
    assert counts == {2: 1, 5: 2, 7: 1}
    assert sum(item["count"] for item in stats["histogram"]) == 4

    recount = alice.get(f"/api/datasets/{body['id']}/stats", params={"cutoff_len": 4})
    assert recount.status_code == 200
    assert recount.json()["cutoff_len"] == 4
    assert recount.json()["lint"]["over_cutoff"] == {"count": 3, "lines": [1, 3, 4]}
    assert recount.json()["lint"]["duplicate"] == stats["lint"]["duplicate"]
    same = alice.get(f"/api/datasets/{body['id']}/stats").json()
    assert same == stats


def test_stats_estimate_without_a_tokenizer(alice: httpx.Client) -> None:
    body = created(alice, jsonl([{"instruction": "Hello world", "output": "Hi"}]))
    assert body["stats"]["tokenizer"] == "estimate (o200k_base)"
    assert body["stats"]["tokens"]["total"] == 3


def test_broken_role_alternation_is_reported(alice: httpx.Client) -> None:
    rows = [
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]},
        {"conversations": [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]},
        {"conversations": [{"from": "gpt", "value": "a"}, {"from": "human", "value": "b"}]},
        {"conversations": [{"from": "human", "value": "only a question"}]},
        {
            "conversations": [
                {"from": "system", "value": "s"},
                {"from": "human", "value": "a"},
                {"from": "gpt", "value": "b"},
            ]
        },
    ]
    body = created(alice, jsonl(rows))
    assert body["stats"]["lint"]["broken_alternation"] == {"count": 3, "lines": [2, 3, 4]}
    assert body["stats"]["mean_turns"] == 1.8


def test_base_model_path_must_be_inside_the_model_roots(
    server: LiveServer, alice: httpx.Client, model_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "tokenizer.json").write_text((model_dir / "tokenizer.json").read_text())
    for path in (str(outside), f"{model_dir}/../../../{tmp_path.name}", "relative/dir"):
        response = upload(alice, jsonl(KNOWN), base_model_path=path)
        assert response.status_code == 422, path
        assert response.json()["code"] == "model_path_not_allowed"
    empty = server.settings.resolved_model_roots[0] / "no-tokenizer"
    empty.mkdir(exist_ok=True)
    response = upload(alice, jsonl(KNOWN), base_model_path=str(empty))
    assert (response.status_code, response.json()["code"]) == (422, "tokenizer_not_found")
    by_file = created(alice, jsonl(KNOWN), base_model_path=str(model_dir / "tokenizer.json"))
    assert by_file["stats"]["tokenizer"] == "word-model/tokenizer.json"


def test_histogram_bins_cover_zero_to_the_longest_record() -> None:
    assert histogram([]) == []
    assert histogram([0, 2, 2]) == [
        {"start": 0, "end": 1, "count": 1},
        {"start": 1, "end": 2, "count": 0},
        {"start": 2, "end": 3, "count": 2},
    ]
    wide = histogram([0, 1000, 999, 50])
    assert len(wide) == 20
    assert wide[0] == {"start": 0, "end": 51, "count": 2}
    assert wide[-1] == {"start": 969, "end": 1020, "count": 2}
    assert sum(item["count"] for item in wide) == 4
