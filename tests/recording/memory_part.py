"""An in-memory twin of the vault's PartWriter, strict like the real one.

It keeps the plaintext and remembers which prefix was made durable by `sync`, so tests can
simulate a power cut (everything after the last sync is lost) without the vault.
"""

from __future__ import annotations

CHUNK_SIZE = 65536


class ChunkMisaligned(ValueError):
    """A sync filler did not complete the chunk exactly (the real writer refuses too)."""


class MemoryPartWriter:
    def __init__(self) -> None:
        self.data = bytearray()
        self.durable_length = 0
        self.sync_calls: list[tuple[int, int]] = []  # (offset before filler, filler length)
        self.closed = False
        self._synced_since_last_write = False

    @property
    def pending(self) -> int:
        return len(self.data) % CHUNK_SIZE

    @property
    def bytes_written(self) -> int:
        return len(self.data)

    def write(self, data: bytes) -> int:
        assert not self.closed, "write after close"
        self.data += data
        if data:
            self._synced_since_last_write = False
        return len(data)

    def sync(self, filler: bytes = b"") -> None:
        assert not self.closed, "sync after close"
        if (self.pending + len(filler)) % CHUNK_SIZE:
            raise ChunkMisaligned(f"pending {self.pending} + filler {len(filler)}")
        self.sync_calls.append((len(self.data), len(filler)))
        self.data += filler
        self.durable_length = len(self.data)
        self._synced_since_last_write = True

    def close(self, final_filler: bytes = b"") -> None:
        if self.pending == 0 and self._synced_since_last_write and not final_filler:
            raise ChunkMisaligned("the last chunk was sealed by a sync: a final filler is needed")
        self.data += final_filler
        self.durable_length = len(self.data)
        self.closed = True

    def durable_bytes(self) -> bytes:
        """What a power cut right now would leave."""
        return bytes(self.data[: self.durable_length])
