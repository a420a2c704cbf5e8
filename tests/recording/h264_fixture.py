"""H.264 for tests, encoded with PyAV's libx264 the way the camera delivers it.

Each picture carries a machine-readable "strip" (its frame number in binary, as white and
black blocks) and flash frames are full white, so decoded output can be checked frame-exactly.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

STRIP_BITS = 16


def picture(index: int, width: int, height: int, flash: bool = False) -> np.ndarray:
    """The strip fills the top quarter; a flash makes the rest white."""
    gray = np.full((height, width), 64, np.uint8)
    if flash:
        gray[height // 4 :] = 255
    block = width // STRIP_BITS
    for bit in range(STRIP_BITS):
        if index >> bit & 1:
            gray[: height // 4, bit * block : (bit + 1) * block] = 230
    return gray


def read_strip(gray: np.ndarray) -> int:
    """The frame number burned into a decoded picture by `picture`."""
    height, width = gray.shape
    block = width // STRIP_BITS
    value = 0
    for bit in range(STRIP_BITS):
        cell = gray[4 : height // 4 - 4, bit * block + 4 : (bit + 1) * block - 4]
        if cell.mean() > 147:
            value |= 1 << bit
    return value


def is_flash(gray: np.ndarray) -> bool:
    return gray[gray.shape[0] // 4 + 4 :].mean() > 200


class H264Stream:
    """Encodes numbered pictures one at a time; keyframe every `fps` frames."""

    def __init__(self, width: int = 320, height: int = 240, fps: int = 10) -> None:
        self.width, self.height, self.fps = width, height, fps
        self._encoder = self._new_encoder()
        self._force_idr = False

    def _new_encoder(self) -> av.CodecContext:
        enc = av.CodecContext.create("libx264", "w")
        enc.width, enc.height = self.width, self.height
        enc.pix_fmt = "yuv420p"
        enc.time_base = Fraction(1, self.fps)
        enc.framerate = self.fps
        enc.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "x264-params": f"bframes=0:repeat-headers=1:keyint={self.fps}:scenecut=0",
        }
        return enc

    def request_keyframe(self) -> None:
        self._force_idr = True

    def encode(self, index: int, flash: bool = False) -> tuple[bytes, bool]:
        gray = picture(index, self.width, self.height, flash)
        frame = av.VideoFrame.from_ndarray(gray, format="gray").reformat(format="yuv420p")
        frame.pts = index
        if self._force_idr:
            frame.pict_type = av.video.frame.PictureType.I
            self._force_idr = False
        packets = self._encoder.encode(frame)
        assert len(packets) == 1, "zerolatency x264 returns one packet per picture"
        return bytes(packets[0]), packets[0].is_keyframe
