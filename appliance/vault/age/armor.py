"""ASCII armor exactly as age writes and accepts it.

PEM with the type "AGE ENCRYPTED FILE", 64-column lines of padded standard base64, no PEM
headers, canonical encoding, LF or CRLF line ends, and at most 1 KiB of whitespace around
the armored block. Anything else is an `ArmorError`, before any of it reaches the header
parser.
"""

from __future__ import annotations

import base64
import binascii
from typing import BinaryIO

from .bytesource import ByteSource, Readable
from .errors import ArmorError
from .format import BYTES_PER_LINE, COLUMNS_PER_LINE

BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
END = b"-----END AGE ENCRYPTED FILE-----"
MAX_WHITESPACE = 1024
_MAX_LINE = 4096


def looks_armored(source: ByteSource) -> bool:
    """True if the stream starts (after whitespace) like PEM rather than binary age."""
    head = source.peek(MAX_WHITESPACE + len(BEGIN))
    return head.lstrip().startswith(b"-----BEGIN")


class ArmorReader:
    """Decodes armored age from `raw` as a readable binary stream."""

    def __init__(self, raw: Readable) -> None:
        self._source = raw if isinstance(raw, ByteSource) else ByteSource(raw)
        self._started = False
        self._done = False
        self._decoded = bytearray()

    def read(self, size: int = -1, /) -> bytes:
        while not self._done and (size is None or size < 0 or len(self._decoded) < size):
            self._decode_next_line()
        if size is None or size < 0:
            size = len(self._decoded)
        out = bytes(self._decoded[:size])
        del self._decoded[:size]
        return out

    def _line(self) -> bytes:
        line = self._source.read_line(_MAX_LINE)
        if not line:
            raise ArmorError("the armored file ends before its END line")
        if not line.endswith(b"\n") and len(line) >= _MAX_LINE:
            raise ArmorError("an armor line is far too long")
        return line.removesuffix(b"\n").removesuffix(b"\r")

    def _start(self) -> None:
        skipped = 0
        while True:
            line = self._line()
            if line.strip():
                break
            skipped += len(line) + 1
            if skipped > MAX_WHITESPACE:
                raise ArmorError("too much whitespace before the armored file")
        if line != BEGIN:
            raise ArmorError("the armor does not start with -----BEGIN AGE ENCRYPTED FILE-----")
        self._started = True

    def _decode_next_line(self) -> None:
        if not self._started:
            self._start()
        line = self._line()
        if line == END:
            self._finish()
            return
        if not line:
            raise ArmorError("empty line inside the armor")
        if len(line) > COLUMNS_PER_LINE:
            raise ArmorError("armor line longer than 64 columns")
        decoded = _decode_padded(line)
        self._decoded += decoded
        if len(decoded) < BYTES_PER_LINE:
            if self._line() != END:
                raise ArmorError("a short armor line must be the last one")
            self._finish()

    def _finish(self) -> None:
        trailing = self._source.read_up_to(MAX_WHITESPACE)
        if trailing.strip():
            raise ArmorError("data follows the armored file")
        if len(trailing) == MAX_WHITESPACE:
            raise ArmorError("too much whitespace after the armored file")
        self._done = True


def _decode_padded(line: bytes) -> bytes:
    try:
        decoded = base64.b64decode(line, validate=True)
    except binascii.Error as exc:
        raise ArmorError("invalid base64 in the armor") from exc
    if base64.b64encode(decoded) != line:
        raise ArmorError("non-canonical base64 in the armor")
    return decoded


class ArmorWriter:
    """Armors everything written to it onto `sink`; `close()` writes the END line.

    Holds back less than one line (48 bytes); it does not close the sink.
    """

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink
        self._pending = bytearray()
        self._closed = False
        self._sink.write(BEGIN + b"\n")

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._pending += data
        whole = len(self._pending) - len(self._pending) % BYTES_PER_LINE
        if whole:
            encoded = base64.b64encode(self._pending[:whole])
            del self._pending[:whole]
            self._sink.write(_wrap(encoded))
        return len(data)

    def flush(self) -> None:
        self._sink.flush()

    def fileno(self) -> int:
        return self._sink.fileno()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._pending:
            self._sink.write(base64.b64encode(self._pending) + b"\n")
            self._pending.clear()
        self._sink.write(END + b"\n")
        self._sink.flush()


def _wrap(encoded: bytes) -> bytes:
    return b"".join(
        encoded[i : i + COLUMNS_PER_LINE] + b"\n" for i in range(0, len(encoded), COLUMNS_PER_LINE)
    )
