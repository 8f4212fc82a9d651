"""Splits `<think>…</think>` inside streamed content into reasoning and content.

The result does not depend on how the text was cut into chunks: a tag split across chunks is
recognised, and only a possible tag prefix at the end of a chunk is held back, so a partial
tag never reaches the content. Text before and after a think block stays content; a stream
that ends inside a block ends as reasoning; a held-back prefix that never completed is
released as the text it was."""

from llmforge.llm.base import ContentDelta, ReasoningDelta

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"

Delta = ContentDelta | ReasoningDelta


def _held_prefix_length(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper beginning of `tag`."""
    for size in range(min(len(text), len(tag) - 1), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkTagSplitter:
    def __init__(self) -> None:
        self._inside = False
        self._pending = ""

    def _delta(self, text: str) -> Delta:
        return ReasoningDelta(text) if self._inside else ContentDelta(text)

    def feed(self, text: str) -> list[Delta]:
        out: list[Delta] = []
        buffer = self._pending + text
        while True:
            tag = CLOSE_TAG if self._inside else OPEN_TAG
            index = buffer.find(tag)
            if index < 0:
                break
            if index:
                out.append(self._delta(buffer[:index]))
            buffer = buffer[index + len(tag) :]
            self._inside = not self._inside
        held = _held_prefix_length(buffer, CLOSE_TAG if self._inside else OPEN_TAG)
        if len(buffer) > held:
            out.append(self._delta(buffer[: len(buffer) - held]))
        self._pending = buffer[len(buffer) - held :]
        return out

    def flush(self) -> list[Delta]:
        pending, self._pending = self._pending, ""
        return [self._delta(pending)] if pending else []


def split_think_tags(text: str) -> tuple[str, str]:
    """(reasoning, content) of a whole text."""
    splitter = ThinkTagSplitter()
    deltas = splitter.feed(text) + splitter.flush()
    reasoning = "".join(d.text for d in deltas if isinstance(d, ReasoningDelta))
    content = "".join(d.text for d in deltas if isinstance(d, ContentDelta))
    return reasoning, content
