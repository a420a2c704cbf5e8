"""The time strip: a picture's capture time burnt into its top edge, readable by machine.

32 square blocks along the top-left edge, one per bit of the capture time in whole
milliseconds since the sync epoch (`SyncSchedule.strip_ms`), most significant bit first.
A block is 30 px wide and high, or width // 32 when the picture is narrower than 960 px,
so the strip always fits. Blocks are video-range black (16) or white (235): two levels
far apart survive H.264 at any sane bitrate, and `decode_strip` reads only the middle of
each block, where compression blurs least.
"""

from __future__ import annotations

import numpy as np

from .errors import StripUnreadable

BITS = 32
FULL_BLOCK = 30
BLACK = 16
WHITE = 235
_THRESHOLD = (BLACK + WHITE) / 2
_MIN_BLOCK = 4


def block_size(width: int) -> int:
    """Side of one block, in pixels, for a picture `width` pixels wide."""
    size = FULL_BLOCK if width >= FULL_BLOCK * BITS else width // BITS
    if size < _MIN_BLOCK:
        raise StripUnreadable(
            f"a picture {width} px wide is too narrow for the time strip "
            f"(needs at least {_MIN_BLOCK * BITS} px)"
        )
    return size


def strip_height(width: int) -> int:
    """Rows at the top of the picture that the strip covers."""
    return block_size(width)


def draw_strip(picture: np.ndarray, ms: int) -> None:
    """Burn `ms` into `picture` in place: a Y plane (h, w) or an RGB array (h, w, 3)."""
    if not 0 <= ms < 2**BITS:
        raise ValueError(f"the strip holds 0 .. 2**32 - 1 ms, not {ms}")
    size = block_size(picture.shape[1])
    for i in range(BITS):
        bit = (ms >> (BITS - 1 - i)) & 1
        picture[:size, i * size : (i + 1) * size] = WHITE if bit else BLACK


def decode_strip(picture: np.ndarray, width: int | None = None) -> int:
    """Read the milliseconds back from a decoded picture (gray (h, w) or RGB (h, w, 3)).

    `width` is the width the picture was drawn at, if it has been rescaled since.
    """
    gray = picture.mean(axis=2) if picture.ndim == 3 else picture
    size = block_size(gray.shape[1] if width is None else width)
    if width is not None and width != gray.shape[1]:
        size = size * gray.shape[1] / width
    margin = size / 4
    value = 0
    for i in range(BITS):
        top, bottom = round(margin), round(size - margin)
        left, right = round(i * size + margin), round((i + 1) * size - margin)
        bit = gray[top:bottom, left:right].mean() > _THRESHOLD
        value = (value << 1) | int(bit)
    return value
