"""Small JPEG previews for framing the shot on a phone, made without Pillow.

The panel polls for a preview a few times a second, so it must be cheap: FFmpeg's scaler
shrinks the picture and its MJPEG encoder compresses it, both through PyAV, which the
appliance carries anyway.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

PREVIEW_WIDTH = 640


def preview_size(width: int, height: int, max_width: int = PREVIEW_WIDTH) -> tuple[int, int]:
    """Even sides no wider than `max_width`, keeping the aspect ratio."""
    scale = min(1.0, max_width / width)
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


def jpeg_from_frame(frame: av.VideoFrame, max_width: int = PREVIEW_WIDTH) -> bytes:
    """A JPEG of `frame`, scaled down to at most `max_width` pixels wide."""
    width, height = preview_size(frame.width, frame.height, max_width)
    small = frame.reformat(width=width, height=height, format="yuvj420p")
    small.pts = 0
    context = av.CodecContext.create("mjpeg", "w")
    context.width, context.height, context.pix_fmt = width, height, "yuvj420p"
    context.time_base = Fraction(1, 1)
    packets = [*context.encode(small), *context.encode(None)]
    return b"".join(bytes(p) for p in packets)


def jpeg_from_yuv420p(picture: np.ndarray, max_width: int = PREVIEW_WIDTH) -> bytes:
    return jpeg_from_frame(av.VideoFrame.from_ndarray(picture, format="yuv420p"), max_width)
