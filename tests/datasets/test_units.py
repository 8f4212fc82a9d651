"""Reading, format checks and the training helpers on their own (no server)."""

import json
import os
from pathlib import Path

import pytest

from llmforge.datasets import formats, reader
from llmforge.datasets.reader import LineError
from llmforge.datasets.training import TrainingDataset, heldout_records, write_dataset_dir


def read(tmp_path: Path, content: bytes, container: reader.Container) -> list[reader.Item]:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return list(reader.read(path, container))


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b'[\n{"a": 1},\n{"a": \xff}]', LineError(3, "Not valid UTF-8.")),
        (b'{"a": 1}', LineError(1, "A .json dataset must be a JSON array of records.")),
        (b'[\n{"a": 1},\n{"a": }\n]', LineError(3, "Invalid JSON: Expecting value (column 7).")),
        (b'[\n{"a": 1}\n{"a": 2}]', LineError(3, "Expected ',' or ']'.")),
    ],
)
def test_json_array_problems_have_lines(tmp_path: Path, content: bytes, error: LineError) -> None:
    items = read(tmp_path, content, "json")
    assert items[-1] == error
    if error.line == 3 and "UTF-8" not in error.message:
        assert items[0] == (2, {"a": 1})


def test_csv_problems_have_lines(tmp_path: Path) -> None:
    assert read(tmp_path, b"instruction,output\nq,a\nb,\xff\n", "csv") == [
        LineError(3, "Not valid UTF-8.")
    ]
    assert read(tmp_path, b"instruction,output\nq,a,extra\nq2,a2\n", "csv") == [
        LineError(2, "The row has more fields than the header."),
        (3, {"instruction": "q2", "output": "a2"}),
    ]


def test_container_from_name_or_content() -> None:
    assert reader.container_of("x.JSONL", b"[") == "jsonl"
    assert reader.container_of("x.txt", b"\xef\xbb\xbf  [") == "json"
    assert reader.container_of("x", b'{"a"') == "jsonl"
    assert reader.container_of("x", b"instruction,output") == "csv"


def test_detect_and_normalize_edge_cases() -> None:
    assert formats.detect(["not a record"]) is None
    assert formats.detect({"question": "q"}) is None
    roles = {"conversations": [{"role": "user", "content": "Hi"}]}
    assert formats.detect(roles) == "openai"
    assert formats.normalize(roles, "openai", False) == {
        "messages": [{"role": "user", "content": "Hi"}]
    }
    with pytest.raises(formats.RecordError, match="'rejected' is missing"):
        formats.normalize({**roles, "chosen": "a"}, "openai", True)


def test_heldout_skips_records_with_nothing_to_ask(tmp_path: Path) -> None:
    held = tmp_path / "heldout.jsonl"
    rows = [
        {"conversations": [{"from": "gpt", "value": "no question"}], "system": ""},
        {"conversations": [{"from": "human", "value": "   "}], "system": ""},
        {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    ]
    held.write_text("".join(json.dumps(row) + "\n" for row in rows))
    ds = TrainingDataset(1, "d", "sharegpt", tmp_path / "train.jsonl", held, 3, False)
    assert heldout_records(ds) == [{"prompt": "Q", "reference": "A", "system": None}]


def test_dataset_dir_copies_across_file_systems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text('{"instruction": "q", "input": "", "output": "a"}\n')

    def no_link(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    ds = TrainingDataset(1, "d", "alpaca", train, None, 1, False)
    write_dataset_dir(ds, tmp_path / "job", with_heldout=True)
    assert (tmp_path / "job" / "train.jsonl").read_text() == train.read_text()
    assert not (tmp_path / "job" / "train.jsonl").samefile(train)
    assert not (tmp_path / "job" / "heldout.jsonl").exists()
