"""Parsing what LLaMA-Factory writes: trainer_log.jsonl in both schemas, duplicated steps after a
resume, timedelta strings with days, a truncated last line; process output with ANSI colours and
tqdm's carriage-return redraws."""

import json
from pathlib import Path

import pytest

from llmforge.training.logs import (
    FileFollower,
    clean_line,
    parse_timedelta,
    parse_trainer_log,
    read_output_lines,
)

CLASSIC = [
    {
        "current_steps": 1,
        "total_steps": 4,
        "loss": 0.59,
        "lr": 0.001,
        "epoch": 0.1,
        "percentage": 25.0,
        "elapsed_time": "0:00:01",
        "remaining_time": "0:00:03",
    },
    {
        "current_steps": 2,
        "total_steps": 4,
        "loss": 0.55,
        "lr": 0.00075,
        "epoch": 0.2,
        "percentage": 50.0,
        "elapsed_time": "0:00:02",
        "remaining_time": "0:00:02",
        "throughput": 812.5,
        "total_tokens": 4096,
    },
]


def lines(*records: dict[str, object]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00:09", 9.0),
        ("1:02:03", 3723.0),
        ("1 day, 4:06:56", 86400 + 4 * 3600 + 6 * 60 + 56),
        ("3 days, 0:00:01", 3 * 86400 + 1),
        ("0:00:05.690000", 5.69),
        (12, 12.0),
        ("soon", None),
        (None, None),
    ],
)
def test_timedelta_strings(text: object, seconds: float | None) -> None:
    assert parse_timedelta(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_classic_schema() -> None:
    points = parse_trainer_log(lines(*CLASSIC))
    assert [p.step for p in points] == [1, 2]
    first, second = points
    assert first.values == {"loss": 0.59, "lr": 0.001, "epoch": 0.1}
    assert first.total_steps == 4 and first.percentage == 25.0
    assert first.elapsed_seconds == 1.0 and first.remaining_seconds == 3.0
    assert second.values["throughput"] == 812.5 and second.values["total_tokens"] == 4096


def test_v1_schema() -> None:
    record = {
        "epoch": 0.5,
        "step": 3,
        "loss": 1.25,
        "grad_norm": 0.8,
        "learning_rate": 2e-4,
        "total_steps": 6,
    }
    (point,) = parse_trainer_log(lines(record))
    assert point.step == 3 and point.total_steps == 6
    assert point.values == {"epoch": 0.5, "loss": 1.25, "grad_norm": 0.8, "lr": 2e-4}
    assert point.elapsed_seconds is None and point.percentage is None


def test_duplicated_steps_keep_the_last_values() -> None:
    resumed = dict(CLASSIC[1], loss=0.42, elapsed_time="0:00:07")
    closing = {
        "current_steps": 2,
        "total_steps": 4,
        "epoch": 0.2,
        "percentage": 50.0,
        "elapsed_time": "0:00:08",
        "remaining_time": "0:00:00",
    }
    points = parse_trainer_log(lines(*CLASSIC, resumed, closing))
    assert [p.step for p in points] == [1, 2]
    assert points[1].values["loss"] == 0.42  # the resumed run's line, not the first one
    assert points[1].values["throughput"] == 812.5  # a closing line without loss keeps it
    assert points[1].elapsed_seconds == 8.0


def test_truncated_last_line_and_garbage_are_left_out() -> None:
    text = lines(CLASSIC[0]) + "not json\n" + '{"current_steps": 2, "loss": 0.5'
    assert [p.step for p in parse_trainer_log(text)] == [1]
    assert parse_trainer_log('{"current_steps": 1') == []
    assert parse_trainer_log(lines({"loss": 1.0}, [1, 2])) == []  # no step, not an object


def test_follower_reads_complete_lines_only_and_restarts_when_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "trainer_log.jsonl"
    follower = FileFollower(path)
    assert follower.read_lines() == []  # not there yet
    path.write_text(lines(CLASSIC[0]) + '{"current_steps": 2')
    assert [json.loads(line)["current_steps"] for line in follower.read_lines()] == [1]
    assert follower.read_lines() == []  # the half line waits
    with path.open("a") as handle:
        handle.write(', "loss": 0.5}\n')
    assert [json.loads(line)["loss"] for line in follower.read_lines()] == [0.5]
    path.unlink()  # LLaMA-Factory deletes it when a run starts over
    path.write_text(lines(CLASSIC[1]))
    assert [json.loads(line)["current_steps"] for line in follower.read_lines()] == [2]
    assert follower.reset
    path.write_text(lines(CLASSIC[0])[:20] + "\n")  # truncated in place: shorter
    assert follower.read_lines() == [lines(CLASSIC[0])[:20]]
    assert follower.reset


def test_an_endless_line_is_taken_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"x" * 100)
    follower = FileFollower(path)
    assert follower.read_lines(max_bytes=60) == ["x" * 60]
    assert follower.read_lines(max_bytes=60) == []  # the rest is a line still being written


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[32m[INFO|x.py:1] ready\x1b[0m", "[INFO|x.py:1] ready"),
        (
            "Train:  10%|#    | 1/10\rTrain:  50%|#####| 5/10\rTrain: 100%|##########| 10/10",
            "Train: 100%|##########| 10/10",
        ),
        ("step 3\r\x1b[K\r", "step 3"),
        ("\x1b]0;title\x07plain", "plain"),
        ("a" * 5000, "a" * 4000 + " …"),
    ],
)
def test_clean_line(raw: str, shown: str) -> None:
    assert clean_line(raw) == shown


def test_output_lines_split_on_newlines_only(tmp_path: Path) -> None:
    path = tmp_path / "stderr.log"
    path.write_bytes(
        b"loading\n 0%|  | 0/8\r 50%|# | 4/8\r100%|##| 8/8\n\x1b[31m\x1b[0m\n\xff done\npart"
    )
    assert read_output_lines(FileFollower(path)) == ["loading", "100%|##| 8/8", "\ufffd done"]
