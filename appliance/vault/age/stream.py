"""STREAM as age uses it: 64 KiB ChaCha20-Poly1305 chunks, a counter nonce, a final flag.

The nonce of chunk i is i as an 11-byte big-endian counter followed by one byte that is 1
only on the last chunk. Marking the end inside the authenticated nonce is what lets a
reader tell a complete file from one cut at a chunk boundary.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .primitives import TAG_SIZE

CHUNK_SIZE = 64 * 1024
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
_MAX_COUNTER = (1 << 88) - 1


def chunk_nonce(counter: int, final: bool) -> bytes:
    if counter > _MAX_COUNTER:
        raise OverflowError("STREAM chunk counter exhausted")
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


class ChunkCipher:
    """Seals and opens the chunks of one payload (one payload key)."""

    def __init__(self, key: bytes) -> None:
        self._aead = ChaCha20Poly1305(key)

    def seal(self, counter: int, plaintext: bytes | bytearray | memoryview, final: bool) -> bytes:
        return self._aead.encrypt(chunk_nonce(counter, final), plaintext, None)

    def open(self, counter: int, sealed: bytes | memoryview, final: bool) -> bytes | None:
        """The plaintext, or None if the chunk does not authenticate with this flag."""
        try:
            return self._aead.decrypt(chunk_nonce(counter, final), sealed, None)
        except InvalidTag:
            return None


def plaintext_size(payload_size: int) -> int | None:
    """The plaintext size a complete payload of `payload_size` bytes (nonce excluded)
    carries, or None if no complete payload has that size."""
    chunks = max(1, -(-payload_size // SEALED_CHUNK_SIZE))
    size = payload_size - chunks * TAG_SIZE
    if size < 0 or (size == 0 and chunks != 1):
        return None
    expected_chunks = max(1, -(-size // CHUNK_SIZE))
    return size if expected_chunks == chunks else None
