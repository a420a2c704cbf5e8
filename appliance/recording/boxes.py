"""Follow MP4 top-level box boundaries in a byte stream, and build `free` boxes.

Durability padding may only be inserted between top-level boxes: a `free` box inside a
`moof` or `mdat` would corrupt the file. The tracker reads only box headers (size, type,
64-bit largesize) as bytes pass, so it costs nothing per payload byte and keeps no data.
"""

from __future__ import annotations

import struct

from .errors import InvalidPadding, MalformedBoxStream

FREE_BOX_HEADER = 8
_MAX_COMPACT_SIZE = 0xFFFFFFFF


def free_box(size: int) -> bytes:
    """A `free` box of exactly `size` bytes (header included); players skip it."""
    if size < FREE_BOX_HEADER:
        raise InvalidPadding(f"a free box needs at least {FREE_BOX_HEADER} bytes, not {size}")
    if size > _MAX_COMPACT_SIZE:
        raise InvalidPadding(f"a free box of {size} bytes needs a largesize header")
    return struct.pack(">I4s", size, b"free") + bytes(size - FREE_BOX_HEADER)


class TopLevelBoxTracker:
    """Tracks where the current top-level box ends as bytes are fed through it."""

    def __init__(self) -> None:
        self._header = bytearray()  # bytes of a box header not yet complete
        self._remaining = 0  # payload bytes left in the current box
        self._to_end_of_file = False
        self.offset = 0
        self._header_start = 0
        self.boxes: int = 0
        self.current_type: bytes | None = None

    @property
    def at_boundary(self) -> bool:
        """True when the next byte would start a new top-level box."""
        return not self._to_end_of_file and self._remaining == 0 and not self._header

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        pos, end = 0, len(view)
        while pos < end and not self._to_end_of_file:
            if self._remaining:
                step = min(self._remaining, end - pos)
                self._remaining -= step
            else:
                step = self._read_header(view, pos) - pos
            pos += step
            self.offset += step
        self.offset += end - pos

    def _read_header(self, view: memoryview, pos: int) -> int:
        if not self._header:
            self._header_start = self.offset
        need = 16 if len(self._header) >= 4 and self._compact_size() == 1 else 8
        take = min(need - len(self._header), len(view) - pos)
        self._header += view[pos : pos + take]
        pos += take
        if len(self._header) < 8:
            return pos
        size = self._compact_size()
        if size == 1 and len(self._header) < 16:
            return pos
        if size == 1:
            size = struct.unpack_from(">Q", self._header, 8)[0]
            if size < 16:
                raise MalformedBoxStream(f"box at offset {self._box_start()} has largesize {size}")
        elif size == 0:
            self._to_end_of_file = True
        elif size < 8:
            raise MalformedBoxStream(f"box at offset {self._box_start()} has size {size}")
        self.current_type = bytes(self._header[4:8])
        self.boxes += 1
        if not self._to_end_of_file:
            self._remaining = size - len(self._header)
        self._header.clear()
        return pos

    def _compact_size(self) -> int:
        return struct.unpack_from(">I", self._header, 0)[0]

    def _box_start(self) -> int:
        return self._header_start
