"""Split text into overlapping chunks that respect markdown headings and paragraphs.

Sizes are in characters. A heading always starts a new chunk, and every chunk remembers the
headings above it (`heading`: "Guide > Install"), which is also put before its text when it is
embedded. Paragraphs are packed whole; one longer than the chunk size is cut at sentence ends,
then at spaces, then hard. Consecutive chunks of one section share up to `overlap` characters.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from llmforge.knowledge.parsing import Section

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FULL_STOPS = "\u3002\uff01\uff1f\uff1b"  # CJK full stop, exclamation, question, semicolon
_SENTENCE_END = re.compile(rf"(?<=[.!?;{_FULL_STOPS}])\s+|(?<=[{_FULL_STOPS}])")


@dataclass(frozen=True)
class Chunk:
    text: str
    heading: str
    metadata: dict[str, int] = field(default_factory=dict)

    def embedding_input(self) -> str:
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """(heading level, heading text) for headings, (0, paragraph) for paragraphs."""
    paragraph: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line.strip())
        if match or not line.strip():
            if paragraph:
                yield 0, " ".join(paragraph)
                paragraph = []
            if match:
                yield len(match.group(1)), match.group(2)
        else:
            paragraph.append(line.strip())
    if paragraph:
        yield 0, " ".join(paragraph)


def _pieces(paragraph: str, size: int) -> list[str]:
    """A paragraph cut into pieces of at most `size` characters, at the gentlest boundary."""
    if len(paragraph) <= size:
        return [paragraph]
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > size:
            cut = sentence.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence.strip():
            pieces.append(sentence.strip())
    return pieces


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters, starting at a word boundary when there is one."""
    if overlap <= 0 or len(text) <= overlap:
        return text if overlap > 0 else ""
    tail = text[-overlap:]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < len(tail) - 1 else tail


class _Packer:
    def __init__(self, size: int, overlap: int, metadata: dict[str, int]) -> None:
        self.size, self.overlap, self.metadata = size, overlap, metadata
        self.chunks: list[Chunk] = []
        self.parts: list[str] = []
        self.fresh = False  # does `parts` hold anything beyond the carried-over overlap?
        self.heading = ""

    def section(self, heading: str) -> None:
        self.flush(carry=False)
        self.heading = heading

    def add(self, piece: str) -> None:
        current = "\n\n".join(self.parts)
        if self.fresh and len(current) + 2 + len(piece) > self.size:
            self.flush(carry=True)
        self.parts.append(piece)
        self.fresh = True

    def flush(self, *, carry: bool) -> None:
        text = "\n\n".join(self.parts)
        if self.fresh:
            self.chunks.append(Chunk(text, self.heading, dict(self.metadata)))
        tail = _tail(text, self.overlap) if carry and self.fresh else ""
        self.parts = [tail] if tail else []
        self.fresh = False


def chunk_sections(sections: list[Section], size: int, overlap: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in sections:
        chunks.extend(chunk_text(section.text, size, overlap, section.metadata))
    return chunks


def chunk_text(
    text: str, size: int, overlap: int, metadata: dict[str, int] | None = None
) -> list[Chunk]:
    packer = _Packer(size, min(overlap, size // 2), metadata or {})
    piece_size = max(1, size - packer.overlap - 2)  # a piece after the overlap still fits
    path: list[tuple[int, str]] = []
    for level, block in _blocks(text):
        if level:
            path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, block)]
            packer.section(" > ".join(title for _, title in path))
            continue
        for piece in _pieces(block, piece_size):
            packer.add(piece)
    packer.flush(carry=False)
    return packer.chunks
