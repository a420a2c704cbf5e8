"""AgeReader and salvage: plaintext out, one authenticated chunk at a time.

Strict as the reference `age`: a header it would refuse is refused here with a typed
error, and no byte of a chunk is released before the chunk's tag is verified. `salvage`
keeps what a damaged or cut file still proves authentic and says where and why it stops.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from . import scrypt
from .armor import ArmorReader, looks_armored
from .bytesource import ByteSource, Readable
from .errors import (
    AgeError,
    CutOrDamagedChunk,
    EmptyFinalChunk,
    HeaderMacMismatch,
    InvalidIdentity,
    MalformedHeader,
    MalformedStanza,
    NoIdentityMatched,
    TamperedChunk,
    TrailingData,
    TruncatedStream,
)
from .format import Header, parse_header
from .primitives import PAYLOAD_NONCE_SIZE, Identity, header_mac, macs_equal, payload_key
from .stream import SEALED_CHUNK_SIZE, ChunkCipher


def unwrap_file_key(header: Header, identities: list[Identity]) -> bytes:
    """The file key, after checking the header MAC with it."""
    stanzas = header.stanzas
    if len(stanzas) > 1 and any(s.type == scrypt.STANZA_TYPE for s in stanzas):
        raise MalformedStanza("a passphrase stanza must be alone in the header")
    for identity in identities:
        file_key = identity.unwrap(stanzas)
        if file_key is not None:
            break
    else:
        types = ", ".join(sorted({s.type for s in stanzas})) or "none"
        raise NoIdentityMatched(
            f"none of the given keys or passphrases opens this file (it is for: {types})"
        )
    if not macs_equal(header_mac(file_key, header.mac_input), header.mac):
        raise HeaderMacMismatch("the header's MAC does not match: the header was altered")
    return file_key


class AgeReader:
    """A readable age file. `read(n)`, or iterate for one plaintext chunk at a time.

    Errors are raised where they are found and again on any later read. `offset` is the
    ciphertext offset (of the binary age file) up to which everything was authenticated.
    """

    def __init__(
        self,
        source: Readable,
        identities: Iterable[Identity],
        *,
        armored: bool | None = None,
    ) -> None:
        identities = list(identities)
        raw = ByteSource(source)
        if armored is None:
            armored = looks_armored(raw)
        self._input = ByteSource(ArmorReader(raw)) if armored else raw
        header = parse_header(self._input)
        if not identities:
            raise InvalidIdentity("no key or passphrase was given to open the file")
        file_key = unwrap_file_key(header, identities)
        nonce = self._input.read_up_to(PAYLOAD_NONCE_SIZE)
        if len(nonce) != PAYLOAD_NONCE_SIZE:
            raise MalformedHeader("the file ends before the payload nonce")
        self._cipher = ChunkCipher(payload_key(file_key, nonce))
        self._counter = 0
        self._final_seen = False
        self._finished = False
        self._error: AgeError | None = None
        self._unread = memoryview(b"")
        self.offset = self._input.consumed

    @property
    def complete(self) -> bool:
        """True once the final chunk was authenticated and nothing follows it."""
        return self._finished

    def _next_chunk(self) -> bytes | None:
        if self._error is not None:
            raise self._error
        if self._finished:
            return None
        try:
            return self._open_next()
        except AgeError as exc:
            self._error = exc
            raise

    def _open_next(self) -> bytes | None:
        if self._final_seen:
            if self._input.read_up_to(1):
                raise TrailingData(f"data follows the final chunk at byte {self.offset}")
            self._finished = True
            return None
        sealed = self._input.read_up_to(SEALED_CHUNK_SIZE)
        if not sealed:
            raise TruncatedStream(
                f"the file is cut short: it ends at byte {self.offset} without its final chunk"
            )
        final = len(sealed) < SEALED_CHUNK_SIZE
        plaintext = None if final else self._cipher.open(self._counter, sealed, final=False)
        if plaintext is None:
            final = True
            plaintext = self._cipher.open(self._counter, sealed, final=True)
        if plaintext is None:
            if len(sealed) < SEALED_CHUNK_SIZE:
                raise CutOrDamagedChunk(
                    f"the file ends inside chunk {self._counter} (byte {self.offset}), "
                    "which does not authenticate: it was cut short or altered"
                )
            raise TamperedChunk(
                f"chunk {self._counter} (byte {self.offset}) does not authenticate: "
                "the file was damaged or altered"
            )
        if not plaintext and self._counter > 0:
            raise EmptyFinalChunk("the final chunk is empty, which only an empty file may have")
        self._counter += 1
        self.offset += len(sealed)
        self._final_seen = final
        return plaintext

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            return b"".join([bytes(self._unread), *self._chunks()])
        if not self._unread:
            chunk = self._next_chunk()
            while chunk is not None and not chunk:  # an empty file's empty final chunk
                chunk = self._next_chunk()
            if chunk is None:
                return b""
            self._unread = memoryview(chunk)
        out = bytes(self._unread[:size])
        self._unread = self._unread[size:]
        return out

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def _chunks(self) -> Iterator[bytes]:
        self._unread = memoryview(b"")
        while (chunk := self._next_chunk()) is not None:
            if chunk:
                yield chunk

    def __iter__(self) -> Iterator[bytes]:
        """Authenticated plaintext chunks (the rest of a partly read chunk first)."""
        if self._unread:
            rest = bytes(self._unread)
            self._unread = memoryview(b"")
            yield rest
        yield from self._chunks()

    def close(self) -> None:
        """Nothing to release: the source belongs to the caller."""

    def __enter__(self) -> AgeReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class SalvageReport:
    """What `salvage` released, and where and why it stopped."""

    plaintext_bytes: int
    ciphertext_offset: int
    complete: bool
    reason: AgeError | None


def salvage(
    source: Readable,
    identities: Iterable[Identity],
    out: BinaryIO,
    *,
    armored: bool | None = None,
) -> SalvageReport:
    """Write every authenticated chunk to `out` up to the first missing or broken one."""
    try:
        reader = AgeReader(source, identities, armored=armored)
    except AgeError as exc:
        return SalvageReport(0, 0, False, exc)
    released = 0
    try:
        for chunk in reader:
            out.write(chunk)
            released += len(chunk)
    except AgeError as exc:
        return SalvageReport(released, reader.offset, False, exc)
    return SalvageReport(released, reader.offset, True, None)
