"""The age v1 header: stanzas, canonical base64, and its strict parser.

The parser accepts exactly what the reference implementation (filippo.io/age) accepts, so a
file that opens here opens everywhere and nothing malleable slips through: LF line ends
only, canonical unpadded base64, 64-column body lines closed by a short (maybe empty) line,
stanza arguments of printable ASCII, and a 32-byte MAC on the closing line.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Protocol

from .errors import MalformedHeader, UnsupportedVersion

INTRO = b"age-encryption.org/v1\n"
STANZA_PREFIX = b"->"
FOOTER_PREFIX = b"---"
COLUMNS_PER_LINE = 64
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
MAC_SIZE = 32
#: A header line longer than this is rejected before it is read whole (no real stanza
#: comes near it; it keeps a hostile file from making the reader buffer without bound).
MAX_LINE_LENGTH = 1 << 20


def b64encode(data: bytes) -> str:
    """Standard base64 without padding, as every base64 field of the age header."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str | bytes) -> bytes:
    """Decode unpadded base64, accepting only its one canonical spelling."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    if b"=" in raw or len(raw) % 4 == 1:
        raise MalformedHeader("invalid base64 (padding or length)")
    try:
        decoded = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except binascii.Error as exc:
        raise MalformedHeader("invalid base64") from exc
    if b64encode(decoded).encode("ascii") != raw:
        raise MalformedHeader("non-canonical base64")
    return decoded


def is_valid_argument(arg: str) -> bool:
    return bool(arg) and all(33 <= ord(c) <= 126 for c in arg)


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: a type, its arguments and a binary body."""

    type: str
    args: tuple[str, ...] = ()
    body: bytes = b""

    def serialize(self) -> bytes:
        if not all(is_valid_argument(a) for a in (self.type, *self.args)):
            raise MalformedHeader("stanza arguments must be non-empty printable ASCII")
        opening = " ".join(("->", self.type, *self.args)).encode("ascii") + b"\n"
        encoded = b64encode(self.body).encode("ascii")
        lines = [
            encoded[i : i + COLUMNS_PER_LINE] for i in range(0, len(encoded), COLUMNS_PER_LINE)
        ]
        if not lines or len(lines[-1]) == COLUMNS_PER_LINE:
            lines.append(b"")
        return opening + b"".join(line + b"\n" for line in lines)


@dataclass
class Header:
    """A parsed header: its stanzas, MAC, and the exact bytes the MAC covers."""

    stanzas: list[Stanza] = field(default_factory=list)
    mac: bytes = b""
    #: Everything from the intro up to and including "---" (what the MAC authenticates).
    mac_input: bytes = b""
    #: Length in bytes of the whole header including the MAC line.
    length: int = 0


def serialize_without_mac(stanzas: list[Stanza]) -> bytes:
    return INTRO + b"".join(s.serialize() for s in stanzas) + FOOTER_PREFIX


def serialize_mac_line(mac: bytes) -> bytes:
    return b" " + b64encode(mac).encode("ascii") + b"\n"


class LineSource(Protocol):
    def read_line(self, limit: int) -> bytes:
        """Up to and including the next LF, at most `limit` bytes; b"" at EOF."""
        ...


def _read_line(source: LineSource, what: str) -> bytes:
    line = source.read_line(MAX_LINE_LENGTH)
    if not line.endswith(b"\n"):
        if len(line) >= MAX_LINE_LENGTH:
            raise MalformedHeader(f"header line too long while reading {what}")
        raise MalformedHeader(f"the file ends inside the header ({what})")
    return line


def _split_args(line: bytes) -> tuple[bytes, list[str]]:
    parts = line[:-1].split(b" ")
    try:
        args = [p.decode("ascii") for p in parts[1:]]
    except UnicodeDecodeError as exc:
        raise MalformedHeader("non-ASCII character in the header") from exc
    return parts[0], args


def _parse_stanza(opening: bytes, source: LineSource) -> Stanza:
    prefix, args = _split_args(opening)
    if prefix != STANZA_PREFIX or not args or not all(is_valid_argument(a) for a in args):
        raise MalformedHeader("malformed stanza opening line")
    body = bytearray()
    while True:
        line = _read_line(source, "a stanza body")
        text = line[:-1]
        if len(text) > COLUMNS_PER_LINE:
            raise MalformedHeader("stanza body line longer than 64 columns")
        if text.startswith((STANZA_PREFIX, FOOTER_PREFIX)):
            raise MalformedHeader("stanza ended without a short body line")
        chunk = b64decode(text)
        body += chunk
        if len(chunk) < BYTES_PER_LINE:
            return Stanza(type=args[0], args=tuple(args[1:]), body=bytes(body))


def parse_header(source: LineSource) -> Header:
    """Read one header from `source`, leaving it positioned at the payload nonce."""
    intro = source.read_line(len(INTRO))
    if not intro:
        raise MalformedHeader("the file is empty")
    if intro != INTRO:
        if intro.startswith(b"age-encryption.org/") and b"\r" not in intro:
            raise UnsupportedVersion("unsupported age format version")
        raise MalformedHeader("not an age file (unexpected first line)")
    raw = bytearray(intro)
    stanzas: list[Stanza] = []
    while True:
        line = _read_line(source, "the header")
        raw += line
        if line.startswith(FOOTER_PREFIX):
            prefix, args = _split_args(line)
            if prefix != FOOTER_PREFIX or len(args) != 1:
                raise MalformedHeader("malformed header closing line")
            mac = b64decode(args[0])
            if len(mac) != MAC_SIZE:
                raise MalformedHeader("the header MAC has the wrong length")
            mac_input = bytes(raw[: len(raw) - len(line) + len(FOOTER_PREFIX)])
            return Header(stanzas=stanzas, mac=mac, mac_input=mac_input, length=len(raw))
        stanzas.append(_parse_stanza(line, _Recording(source, raw)))


class _Recording:
    """Passes lines through while keeping a copy for the MAC input."""

    def __init__(self, source: LineSource, sink: bytearray) -> None:
        self._source = source
        self._sink = sink

    def read_line(self, limit: int) -> bytes:
        line = self._source.read_line(limit)
        self._sink += line
        return line
