"""Make what the muxer has written durable once a second, at any bitrate.

The vault's part writer seals 64 KiB age chunks; a chunk can only be written once full.
To make everything durable now, the sink pads the plaintext up to the next chunk boundary
with an MP4 `free` box (players skip it) and asks the writer to seal, write and fsync.
Padding is only legal between top-level boxes, so the sink follows box boundaries and
defers a due sync until the muxer reaches one (the muxer flushes whole fragments, so in
practice it is always at one when asked).
"""

from __future__ import annotations

from typing import Protocol

from .boxes import FREE_BOX_HEADER, TopLevelBoxTracker, free_box

CHUNK_SIZE = 65536


class PartSink(Protocol):
    """What the recorder needs from the vault's `PartWriter`."""

    @property
    def pending(self) -> int: ...

    @property
    def bytes_written(self) -> int: ...

    def write(self, data: bytes) -> int: ...

    def sync(self, filler: bytes = b"") -> None: ...

    def close(self, final_filler: bytes = b"") -> None: ...


def padding_for(pending: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Bytes of `free` box that complete the current chunk (0 when it is already full)."""
    gap = -pending % chunk_size
    if 0 < gap < FREE_BOX_HEADER:
        gap += chunk_size
    return gap


class DurableSink:
    """File-like target for the muxer that forwards to a part writer and pads on sync."""

    def __init__(self, part: PartSink, chunk_size: int = CHUNK_SIZE) -> None:
        self._part = part
        self._chunk_size = chunk_size
        self._tracker = TopLevelBoxTracker()
        self.media_bytes = 0
        self.padding_bytes = 0
        self.syncs = 0
        self.sync_due = False
        self.closed = False
        self.fragments = 0  # complete `mdat` boxes received
        self._fragments_synced = 0
        self._counted_box = 0

    @property
    def at_boundary(self) -> bool:
        return self._tracker.at_boundary

    @property
    def total_bytes(self) -> int:
        return self.media_bytes + self.padding_bytes

    @property
    def stored_bytes(self) -> int:
        """Bytes the part takes on the card (ciphertext), as the writer counts them."""
        return self._part.bytes_written

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def unsynced_fragments(self) -> int:
        """Complete fragments received since the last sync."""
        return self.fragments - self._fragments_synced

    def write(self, data: bytes) -> int:
        tracker = self._tracker
        tracker.feed(data)
        self._part.write(bytes(data))
        self.media_bytes += len(data)
        finished_fragment = tracker.at_boundary and tracker.current_type == b"mdat"
        if finished_fragment and tracker.boxes != self._counted_box:
            self._counted_box = tracker.boxes
            self.fragments += 1
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here; durability is `make_durable`'s job."""

    def make_durable(self) -> bool:
        """Pad to the chunk boundary and sync; False (and stays due) if mid-box."""
        if not self._tracker.at_boundary:
            self.sync_due = True
            return False
        pad = padding_for(self._part.pending, self._chunk_size)
        filler = free_box(pad) if pad else b""
        self._tracker.feed(filler)
        self._part.sync(filler)
        self.padding_bytes += pad
        self.syncs += 1
        self.sync_due = False
        self._fragments_synced = self.fragments
        return True

    def close(self) -> None:
        """Seal the final chunk; a trailing `free` box if the last chunk was just synced."""
        if self.closed:
            return
        final = free_box(FREE_BOX_HEADER) if self._part.pending == 0 else b""
        self.padding_bytes += len(final)
        self._part.close(final)
        self.closed = True
