"""A small buffered view of a readable stream: lines for the header, blocks for chunks.

It counts what it hands out, so a reader can say at which ciphertext byte something
failed, and turns the stream's own I/O errors into `AgeIOError`.
"""

from __future__ import annotations

from typing import Protocol

from .errors import AgeIOError


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes | None: ...


class ByteSource:
    """Buffered reads from `raw` in blocks of `block_size` bytes."""

    def __init__(self, raw: Readable, block_size: int = 65536) -> None:
        self._raw = raw
        self._block_size = block_size
        self._buffer = bytearray()
        self._eof = False
        #: Bytes handed out so far (the offset of the next byte in the stream).
        self.consumed = 0

    def _fill(self, wanted: int) -> None:
        while len(self._buffer) < wanted and not self._eof:
            try:
                data = self._raw.read(max(self._block_size, wanted - len(self._buffer)))
            except OSError as exc:
                raise AgeIOError(exc.errno, f"reading the encrypted file failed: {exc}") from exc
            if data is None:
                raise AgeIOError("the encrypted input is non-blocking and has no data ready")
            if not data:
                self._eof = True
            else:
                self._buffer += data

    def _take(self, count: int) -> bytes:
        out = bytes(self._buffer[:count])
        del self._buffer[:count]
        self.consumed += len(out)
        return out

    def read_up_to(self, count: int) -> bytes:
        """Exactly `count` bytes, or fewer only at the end of the stream."""
        self._fill(count)
        return self._take(count)

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            self._fill(1 << 62)
            return self._take(len(self._buffer))
        return self.read_up_to(size)

    def read_line(self, limit: int) -> bytes:
        """Up to and including the next LF, at most `limit` bytes; b"" at the end."""
        searched = 0
        while True:
            found = self._buffer.find(b"\n", searched, limit)
            if found >= 0:
                return self._take(found + 1)
            if len(self._buffer) >= limit or self._eof:
                return self._take(limit)
            searched = len(self._buffer)
            self._fill(len(self._buffer) + 1)

    def peek(self, count: int) -> bytes:
        self._fill(count)
        return bytes(self._buffer[:count])
