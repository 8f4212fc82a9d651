"""Uploaded files to plain text with markdown headings: txt, md, html, pdf, docx.

Blocking (pypdf, python-docx): call from a thread. Every failure is a `DocumentError` with a
stable code and a message a user can act on.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

import docx
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

FILE_TYPES = ("txt", "md", "html", "pdf", "docx")
_EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}


class DocumentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Section:
    """A run of text, markdown headings included, with where it came from (e.g. its page)."""

    text: str
    metadata: dict[str, int] = field(default_factory=dict)


def file_type_of(filename: str) -> str | None:
    return _EXTENSIONS.get(PurePath(filename).suffix.lower())


def decode_text(data: bytes) -> str:
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError("undecodable_text", "The file is not UTF-8 (or GB18030) text.")


class _HtmlToMarkdown(HTMLParser):
    """Headings become markdown headings; block elements end paragraphs; scripts are dropped."""

    BLOCKS = frozenset({"p", "div", "li", "tr", "br", "section", "article", "pre", "table"})
    SKIP = frozenset({"script", "style", "noscript", "template", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def _html(data: bytes) -> list[Section]:
    parser = _HtmlToMarkdown()
    parser.feed(decode_text(data))
    parser.close()
    lines = "\n".join(line.strip() for line in "".join(parser.parts).splitlines())
    return [Section(re.sub(r"\n{3,}", "\n\n", lines).strip())]


def _pdf(data: bytes) -> list[Section]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("password required")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise DocumentError(
            "encrypted_pdf", "The PDF is password-protected; upload an unprotected copy."
        ) from None
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError("corrupt_file", f"The PDF cannot be read: {exc}") from None
    return [Section(text, {"page": number}) for number, text in enumerate(pages, 1)]


def _docx(data: bytes) -> list[Section]:
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError("corrupt_file", f"The DOCX file cannot be read: {exc}") from None
    lines: list[str] = []
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        level = re.fullmatch(r"Heading ([1-6])", style or "")
        text = paragraph.text.strip()
        if text:
            lines.append(("#" * int(level.group(1)) + " " if level else "") + text)
    for table in document.tables:
        lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows)
    return [Section("\n\n".join(lines))]


def parse(file_type: str, data: bytes) -> list[Section]:
    """The document's text in sections; raises DocumentError when there is none."""
    if file_type == "pdf":
        sections = _pdf(data)
    elif file_type == "docx":
        sections = _docx(data)
    elif file_type == "html":
        sections = _html(data)
    else:
        sections = [Section(decode_text(data))]
    kept = [section for section in sections if section.text.strip()]
    if not kept:
        raise DocumentError("no_text", "No text could be extracted from the document.")
    return kept
