"""Splitting a streamed body into lines as its reads arrive (llm/lines.py)."""

import pytest

from llmforge.llm.lines import MAX_LINE_BYTES, LineSplitter, LineTooLong


def split(*reads: bytes) -> list[list[str]]:
    splitter = LineSplitter()
    return [splitter.feed(data) for data in reads] + [splitter.close()]


def test_each_read_gives_the_lines_it_completes_in_any_ending() -> None:
    assert split(b"a\nb\r\nc\rd", b"\n\n") == [["a", "b", "c"], ["d", ""], []]


def test_a_crlf_cut_between_reads_ends_one_line() -> None:
    assert split(b"data: a\r", b"\ndata: b\r", b"\n\r\n") == [
        ["data: a"],
        ["data: b"],
        [""],
        [],
    ]


def test_a_lone_cr_at_the_end_of_a_read_ends_its_line_at_once() -> None:
    assert split(b"a\r", b"b\r") == [["a"], ["b"], []]


def test_a_line_and_a_character_cut_across_reads_come_out_whole() -> None:
    text = "Grüß".encode()
    cut = text.index(b"\xc3\xbc") + 1
    assert split(text[:cut], text[cut:], b"!\n") == [[], [], ["Grüß!"], []]


def test_the_last_line_without_an_ending_comes_at_the_close() -> None:
    assert split(b"a\nlast") == [["a"], ["last"]]


def test_a_line_over_the_limit_is_refused_before_it_is_whole() -> None:
    splitter = LineSplitter()
    splitter.feed(b"x" * MAX_LINE_BYTES)
    with pytest.raises(LineTooLong):
        splitter.feed(b"x" * 3)


def test_a_line_over_the_limit_in_one_read_is_refused() -> None:
    with pytest.raises(LineTooLong):
        LineSplitter().feed(b"x" * (MAX_LINE_BYTES + 1) + b"\n")


def test_the_limit_counts_bytes_not_characters() -> None:
    two_byte_characters = "é" * (MAX_LINE_BYTES // 2 + 1)
    with pytest.raises(LineTooLong):
        LineSplitter().feed(two_byte_characters.encode() + b"\n")


def test_a_line_at_the_limit_is_taken() -> None:
    assert split(b"x" * MAX_LINE_BYTES, b"\r\n") == [[], ["x" * MAX_LINE_BYTES], []]
