"""Test-set parsing: CSV, JSONL and page-built rows, with row-numbered errors."""

import json

from llmforge.batch.parsing import MAX_ROWS, ParsedRow, parse_csv, parse_jsonl, parse_rows


def test_csv_with_all_columns_quotes_and_multiline_fields() -> None:
    data = (
        "\ufeffPrompt,reference,system_prompt,tags,extra\n"
        '"What is 2+2?",4,"Be brief.","math; easy",ignored\n'
        '"A poem\nover two lines",,,\n'
        "\n"
        "Capital of France?,Paris,,geo\n"
    ).encode()
    parsed = parse_csv(data)
    assert parsed.ok, parsed.errors
    assert parsed.rows == [
        ParsedRow(2, "What is 2+2?", "4", "Be brief.", ["math", "easy"]),
        ParsedRow(3, "A poem\nover two lines", None, None, []),
        ParsedRow(6, "Capital of France?", "Paris", None, ["geo"]),
    ]


def test_csv_errors_carry_line_numbers_and_nothing_passes() -> None:
    data = b"prompt,reference\nok,1\n,2\nfine,3,too,many\n   ,4\n"
    parsed = parse_csv(data)
    assert not parsed.ok
    assert [(e.row, e.message) for e in parsed.errors] == [
        (3, "prompt is empty"),
        (4, "This row has 4 fields; the header has 2."),
        (5, "prompt is empty"),
    ]


def test_csv_without_a_prompt_column() -> None:
    parsed = parse_csv(b"question,answer\nhi,there\n")
    assert [(e.row, e.message) for e in parsed.errors] == [
        (1, "The header has no 'prompt' column (found: question, answer).")
    ]


def test_malformed_csv_and_non_utf8() -> None:
    broken = parse_csv(b'prompt,reference\nok,1\n"unterminated,2\n')
    assert broken.errors[0].row == 3 and "not valid CSV" in broken.errors[0].message
    latin = parse_csv("prompt\ncafé\n".encode("latin-1"))
    assert latin.errors[0].row is None and "not UTF-8" in latin.errors[0].message
    assert parse_csv(b"").errors[0].message == "The test set has no rows."
    assert parse_csv(b"prompt\n").errors[0].message == "The test set has no rows."


def test_row_limit() -> None:
    at_limit = parse_csv(("prompt\n" + "q\n" * MAX_ROWS).encode())
    assert at_limit.ok and len(at_limit.rows) == MAX_ROWS
    over = parse_csv(("prompt\n" + "q\n" * (MAX_ROWS + 1)).encode())
    assert [e.message for e in over.errors] == [
        "The test set has more than 10,000 rows; at most 10,000 are allowed."
    ]
    assert not parse_rows([{"prompt": "q"}] * (MAX_ROWS + 1)).ok


def test_jsonl_rows_and_errors_by_line() -> None:
    lines = [
        json.dumps({"prompt": "a", "reference": "b", "tags": ["x", "y", "x"]}),
        "",
        json.dumps({"prompt": "c", "system_prompt": "s"}),
    ]
    parsed = parse_jsonl("\n".join(lines).encode())
    assert parsed.rows == [
        ParsedRow(1, "a", "b", None, ["x", "y"]),
        ParsedRow(3, "c", None, "s", []),
    ]
    bad = [
        json.dumps({"prompt": "ok"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"reference": "no prompt"}),
        json.dumps({"prompt": 42}),
        json.dumps({"prompt": "p", "tags": [1]}),
    ]
    errors = parse_jsonl("\n".join(bad).encode()).errors
    assert [e.row for e in errors] == [2, 3, 4, 5, 6]
    assert errors[0].message.startswith("This line is not valid JSON")
    assert errors[2].message == "prompt is missing"
    assert errors[3].message == "prompt must be text, not int"


def test_rows_built_in_the_page() -> None:
    parsed = parse_rows([{"prompt": "a"}, "nope", {"prompt": " "}])
    assert [(e.row, e.message) for e in parsed.errors] == [
        (2, "Each row must be an object with a 'prompt' key."),
        (3, "prompt is empty"),
    ]
    assert parse_rows([]).errors[0].message == "The test set has no rows."
