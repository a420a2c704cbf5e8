"""H.264 the way the recorder wants it, from libx264 through PyAV.

The settings mirror what the Pi's hardware encoder is asked for, so the recording side
sees the same stream shape from either: no B-frames (a packet out for each frame in,
decode order = capture order), an IDR every second and none from scene cuts (parts and
clips start on a known rhythm), SPS/PPS repeated before every IDR in Annex B form (each
fragment, part and clip can start decoding on its own).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
from av.video.frame import PictureType

from .errors import SourceSettingsError


def check_video_settings(width: int, height: int, fps: int, bitrate: int) -> None:
    """Refuse, in plain words, settings that libx264 or 4:2:0 sampling cannot take."""
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise SourceSettingsError(
            f"the picture must have even, positive sides, not {width}x{height}"
        )
    if fps <= 0 or bitrate <= 0:
        raise SourceSettingsError(
            f"frame rate and bitrate must be positive, not {fps} fps, {bitrate} bit/s"
        )


def mark_as_idr(frame: av.VideoFrame) -> None:
    """Ask libx264 to make `frame` an IDR (an I picture, with "forced-idr" or a closed GOP).

    `PictureType.I`, not the string "I": PictureType is an IntEnum since PyAV 14, and the
    setter refuses a string with TypeError; the enum member works on PyAV 13 to 18.
    """
    frame.pict_type = PictureType.I


class KeyframeOnRequest:
    """Stands in for a PyAV video stream, marking the next frame it encodes as an IDR once
    `request()` was called (from any thread); every other attribute is the stream's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._wanted = threading.Event()

    def request(self) -> None:
        self._wanted.set()

    def encode(self, frame: av.VideoFrame | None = None) -> list[av.Packet]:
        if frame is not None and self._wanted.is_set():
            self._wanted.clear()
            mark_as_idr(frame)
        return self._stream.encode(frame)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    data: bytes
    pts: int
    keyframe: bool


class H264Encoder:
    """Encodes yuv420p pictures; `pts` counts frames and comes back on each packet."""

    def __init__(self, width: int, height: int, fps: int, bitrate: int) -> None:
        check_video_settings(width, height, fps, bitrate)
        kbps = max(1, bitrate // 1000)
        context = av.CodecContext.create("libx264", "w")
        context.width, context.height, context.pix_fmt = width, height, "yuv420p"
        context.time_base = Fraction(1, fps)
        context.framerate = Fraction(fps, 1)
        context.bit_rate = bitrate
        context.gop_size = fps
        context.max_b_frames = 0
        context.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            # A picture marked I becomes an IDR, not just an intra picture.
            "forced-idr": "1",
            # The one-second VBV buffer holds the average to the target, as the Pi's
            # encoder does; the storage estimate in minutes relies on it.
            "x264-params": ":".join(
                [
                    f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0",
                    "repeat-headers=1:annexb=1",
                    f"vbv-maxrate={kbps}:vbv-bufsize={kbps}",
                ]
            ),
        }
        context.open()
        self._context = context

    def encode(self, frame: av.VideoFrame, pts: int, *, idr: bool = False) -> list[EncodedPacket]:
        """Encode a yuv420p frame (its pts and picture type are set here)."""
        frame.pts = pts
        if idr:
            mark_as_idr(frame)
        return [self._packet(p) for p in self._context.encode(frame)]

    def flush(self) -> list[EncodedPacket]:
        """Drain what the encoder still holds; the encoder cannot be used afterwards."""
        return [self._packet(p) for p in self._context.encode(None)]

    @staticmethod
    def _packet(packet: av.Packet) -> EncodedPacket:
        assert packet.pts is not None  # every frame is stamped, and the encoder keeps stamps
        return EncodedPacket(bytes(packet), int(packet.pts), bool(packet.is_keyframe))
