"""Splitting that respects headings and paragraphs, and text extraction from each file type."""

import itertools

import pytest

from llmforge.knowledge.chunking import chunk_text
from llmforge.knowledge.parsing import DocumentError, decode_text, file_type_of, parse
from tests.knowledge.conftest import make_docx, make_pdf

LONG = " ".join(f"Sentence {i} explains one more step of the setup." for i in range(40))


def test_a_heading_starts_a_new_chunk_and_names_its_section() -> None:
    text = "# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n### Linux\n\nUse apt.\n\n# FAQ\n\nAsk."
    chunks = chunk_text(text, 500, 50)
    assert [(c.heading, c.text) for c in chunks] == [
        ("Guide", "Intro."),
        ("Guide > Install", "Run it."),
        ("Guide > Install > Linux", "Use apt."),
        ("FAQ", "Ask."),
    ]
    assert chunks[2].embedding_input() == "Guide > Install > Linux\nUse apt."


def test_paragraphs_are_packed_whole_up_to_the_size() -> None:
    paragraphs = [f"Paragraph {i} " + "x" * 80 for i in range(6)]
    chunks = chunk_text("\n\n".join(paragraphs), 200, 0)
    assert all(len(c.text) <= 200 for c in chunks)
    assert [c.text.split("\n\n") for c in chunks] == [
        paragraphs[0:2],
        paragraphs[2:4],
        paragraphs[4:6],
    ]


def test_long_paragraphs_split_at_sentence_ends_with_overlap() -> None:
    chunks = chunk_text(LONG, 300, 60)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        shared = after.text.split("\n\n")[0]
        assert before.text.endswith(shared) and 0 < len(shared) <= 60
    body = [c.text.split("\n\n", 1)[-1] for c in chunks[1:]]
    assert all(part.startswith("Sentence") for part in body)  # cut at sentence ends


def test_text_without_spaces_is_cut_hard() -> None:
    chunks = chunk_text("字" * 1000, 300, 0)
    assert [len(c.text) for c in chunks] == [298, 298, 298, 106]


def test_file_types_from_names() -> None:
    assert [file_type_of(n) for n in ("a.MD", "b.htm", "c.pdf", "d.docx", "e.txt", "f.exe")] == [
        "md",
        "html",
        "pdf",
        "docx",
        "txt",
        None,
    ]


def test_html_becomes_markdown_and_scripts_are_dropped() -> None:
    html = (
        b"<html><head><title>t</title><style>p{}</style></head><body><h1>Title</h1>"
        b"<p>First <b>para</b>.</p><script>alert(1)</script><h2>Sub</h2><ul><li>one</li>"
        b"<li>two</li></ul></body></html>"
    )
    (section,) = parse("html", html)
    assert section.text.split("\n\n") == ["# Title", "First para.", "## Sub", "one", "two"]


def test_text_encodings() -> None:
    assert decode_text("héllo".encode()) == "héllo"
    assert decode_text("\ufeffbom".encode()) == "bom"
    assert decode_text("中文".encode("gb18030")) == "中文"
    assert decode_text("wide".encode("utf-16")) == "wide"


def test_pdf_pages_and_docx_headings() -> None:
    pages = parse("pdf", make_pdf(["first page", "second page"]))
    assert [(s.text.strip(), s.metadata) for s in pages] == [
        ("first page", {"page": 1}),
        ("second page", {"page": 2}),
    ]
    (doc,) = parse("docx", make_docx([("Policy", 2), ("Be kind.", 0)]))
    assert doc.text == "## Policy\n\nBe kind."


@pytest.mark.parametrize(
    ("file_type", "data", "code"),
    [
        ("pdf", b"%PDF-1.7 garbage", "corrupt_file"),
        ("docx", b"not a zip", "corrupt_file"),
        ("txt", b"   \n  ", "no_text"),
    ],
)
def test_unreadable_documents(file_type: str, data: bytes, code: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse(file_type, data)
    assert caught.value.code == code and caught.value.message
