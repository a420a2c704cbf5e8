"""AgeWriter: stream plaintext into an age file holding at most one chunk in memory.

A chunk is sealed as non-final only once the writer knows more data follows it, so a file
is never "complete" by accident, and a file cut anywhere is detected as cut. The one
exception is `sync(filler)`: the caller pads to a chunk boundary and every full chunk is
sealed non-final, written and made durable, so a power cut loses nothing synced. The
recorder does this once a second with an MP4 `free` box as filler.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable, Iterable
from typing import Protocol

from .errors import AgeIOError, InvalidFiller, NoRecipients, ScryptNotAlone, WriterClosed
from .format import serialize_mac_line, serialize_without_mac
from .primitives import PAYLOAD_NONCE_SIZE, Recipient, header_mac, new_file_key, payload_key
from .stream import CHUNK_SIZE, ChunkCipher

#: fsync on these fails for sinks that have no storage behind them (pipes, terminals).
_NOT_SYNCABLE = (errno.EINVAL, errno.ENOTSUP, errno.EROFS)


class CiphertextSink(Protocol):
    """Where an AgeWriter puts the file: a real file, a pipe, an armor or a hashing sink.

    `write` may write short (a raw file) or return None (meaning all); `fileno` may raise
    `io.UnsupportedOperation` (an in-memory sink, which has nothing to make durable)."""

    def write(self, data: memoryview, /) -> int | None: ...
    def flush(self) -> None: ...
    def fileno(self) -> int: ...


def build_header(recipients: Iterable[Recipient], file_key: bytes) -> bytes:
    """The serialized header, MAC line included, for a fresh file key."""
    recipients = list(recipients)
    if not recipients:
        raise NoRecipients("there is no recipient to encrypt to")
    if len(recipients) > 1 and any(getattr(r, "exclusive", False) for r in recipients):
        raise ScryptNotAlone("a passphrase cannot be combined with other recipients")
    stanzas = [stanza for recipient in recipients for stanza in recipient.wrap(file_key)]
    head = serialize_without_mac(stanzas)
    return head + serialize_mac_line(header_mac(file_key, head))


class AgeWriter:
    """A writable, streaming age file on top of `sink` (which it never closes)."""

    CHUNK_SIZE = CHUNK_SIZE

    def __init__(
        self,
        sink: CiphertextSink,
        recipients: Iterable[Recipient],
        *,
        on_sync: Callable[[], None] | None = None,
    ) -> None:
        file_key = new_file_key()
        header = build_header(recipients, file_key)
        nonce = os.urandom(PAYLOAD_NONCE_SIZE)
        self._cipher = ChunkCipher(payload_key(file_key, nonce))
        self._sink = sink
        self._on_sync = on_sync
        self._buffer = bytearray()
        self._counter = 0
        self._bytes_written = 0
        self._closed = False
        self._broken: BaseException | None = None
        self._emit(header + nonce)

    # -- state ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Plaintext bytes in the current chunk, not yet sealed (0..CHUNK_SIZE)."""
        return len(self._buffer)

    @property
    def bytes_written(self) -> int:
        """Ciphertext bytes handed to the sink so far (header included)."""
        return self._bytes_written

    @property
    def closed(self) -> bool:
        return self._closed

    def writable(self) -> bool:
        return True

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise WriterClosed("the encrypted file is unusable after an earlier write error")
        if self._closed:
            raise WriterClosed("the encrypted file is already closed")

    # -- writing ----------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._check_usable()
        view = memoryview(data).cast("B")
        total = len(view)
        pos = 0
        buffer = self._buffer
        while pos < total:
            if len(buffer) == CHUNK_SIZE:
                self._seal_buffer(final=False)
            if not buffer and total - pos > CHUNK_SIZE:
                # More follows this whole chunk: seal it straight from the caller's data.
                self._emit(self._cipher.seal(self._counter, view[pos : pos + CHUNK_SIZE], False))
                self._counter += 1
                pos += CHUNK_SIZE
                continue
            take = min(CHUNK_SIZE - len(buffer), total - pos)
            buffer += view[pos : pos + take]
            pos += take
        return total

    def sync(self, filler: bytes = b"") -> None:
        """Seal every full chunk as non-final and make all written bytes durable.

        `filler` must bring `pending` to a multiple of CHUNK_SIZE (usually to zero).
        """
        self._check_usable()
        if (len(self._buffer) + len(filler)) % CHUNK_SIZE:
            raise InvalidFiller(
                f"the sync filler must complete the chunk: {len(self._buffer)} bytes are "
                f"pending, so it must be {-len(self._buffer) % CHUNK_SIZE} bytes "
                "(plus any whole chunks)"
            )
        self.write(filler)
        if len(self._buffer) == CHUNK_SIZE:
            self._seal_buffer(final=False)
        self._make_durable()

    def close(self, final_filler: bytes = b"") -> None:
        """Seal the final chunk and make the file durable. Idempotent once closed."""
        if self._closed and not final_filler:
            return
        self._check_usable()
        if final_filler:
            self.write(final_filler)
        if not self._buffer and self._counter > 0:
            raise InvalidFiller(
                "the last chunk was sealed by sync() and nothing is pending: close() needs "
                "a non-empty final filler (an empty final chunk is invalid)"
            )
        self._seal_buffer(final=True)
        self._make_durable()
        self._closed = True

    def flush(self) -> None:
        """Hand sealed chunks to the sink's OS buffers (seals nothing, syncs nothing)."""
        self._check_usable()
        self._guarded(self._sink.flush)

    def __enter__(self) -> AgeWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # On an exception the file is left without a final chunk: readers see it as cut.
        if exc_type is None:
            self.close()

    # -- internals --------------------------------------------------------------------

    def _seal_buffer(self, final: bool) -> None:
        sealed = self._cipher.seal(self._counter, self._buffer, final)
        self._buffer.clear()
        self._counter += 1
        self._emit(sealed)

    def _emit(self, data: bytes) -> None:
        self._guarded(self._write_all, data)
        self._bytes_written += len(data)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            # Raw files may write short; None from a sink that reports nothing means all.
            written = self._sink.write(view)
            if written is None or written >= len(view):
                return
            view = view[written:]

    def _make_durable(self) -> None:
        self._guarded(self._sink.flush)
        if self._on_sync is not None:
            self._guarded(self._on_sync)
            return
        try:
            fd = self._sink.fileno()
        except (AttributeError, io.UnsupportedOperation):
            return  # an in-memory sink: nothing to make durable
        try:
            os.fsync(fd)
        except OSError as exc:
            if exc.errno in _NOT_SYNCABLE:
                return
            self._broken = exc
            raise AgeIOError(
                exc.errno, f"could not make the encrypted file durable: {exc}"
            ) from exc

    def _guarded(self, action: Callable[..., object], *args: object) -> None:
        try:
            action(*args)
        except OSError as exc:
            self._broken = exc
            raise AgeIOError(exc.errno, f"writing the encrypted file failed: {exc}") from exc
