"""Lines out of a streamed body as it arrives, as SSE and NDJSON mean them: each ends at LF,
CRLF or a lone CR (a CR inside a JSON string is always escaped, so a raw one ends a line).

Whole reads are split at once, so a read that carries several lines costs one wait, not one
per line; a line cut across reads is kept until its end arrives, and a CRLF cut between its
CR and its LF ends one line, not two."""

MAX_LINE_BYTES = 16 * 1024 * 1024
"""A streamed line longer than this is refused (one event is a few hundred bytes)."""


class LineTooLong(ValueError):
    """A line over MAX_LINE_BYTES: refused before it is held in memory whole."""


class LineSplitter:
    def __init__(self) -> None:
        self._partial: list[bytes] = []
        self._partial_size = 0
        self._after_cr = False

    def feed(self, data: bytes) -> list[str]:
        """The lines `data` completes, without their endings."""
        if self._after_cr and data.startswith(b"\n"):
            data = data[1:]
        if not data:
            return []
        self._after_cr = data.endswith(b"\r")
        pieces = data.splitlines(keepends=True)
        rest = pieces.pop() if not pieces[-1].endswith((b"\n", b"\r")) else b""
        lines = self._complete(pieces) if pieces else []
        if rest:
            self._keep(rest)
        return lines

    def close(self) -> list[str]:
        """The last line, when the body ended without a line ending."""
        return self._complete([b""]) if self._partial else []

    def _complete(self, pieces: list[bytes]) -> list[str]:
        if self._partial:
            self._keep(pieces[0])
            pieces[0] = b"".join(self._partial)
            self._partial, self._partial_size = [], 0
        lines = [piece.rstrip(b"\r\n") for piece in pieces]
        if any(len(line) > MAX_LINE_BYTES for line in lines):
            raise LineTooLong
        return [line.decode("utf-8", "replace") for line in lines]

    def _keep(self, piece: bytes) -> None:
        self._partial.append(piece)
        self._partial_size += len(piece)
        if self._partial_size > MAX_LINE_BYTES + 2:  # + its ending, which is not part of it
            raise LineTooLong
