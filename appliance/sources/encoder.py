"""H.264 the way the recorder wants it, from libx264 through PyAV.

The settings mirror what the Pi's hardware encoder is asked for, so the recording side
sees the same stream shape from either: no B-frames (a packet out for each frame in,
decode order = capture order), an IDR every second and none from scene cuts (parts and
clips start on a known rhythm), SPS/PPS repeated before every IDR in Annex B form (each
fragment, part and clip can start decoding on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
            frame.pict_type = PictureType.I
        return [self._packet(p) for p in self._context.encode(frame)]

    def flush(self) -> list[EncodedPacket]:
        """Drain what the encoder still holds; the encoder cannot be used afterwards."""
        return [self._packet(p) for p in self._context.encode(None)]

    @staticmethod
    def _packet(packet: av.Packet) -> EncodedPacket:
        assert packet.pts is not None  # every frame is stamped, and the encoder keeps stamps
        return EncodedPacket(bytes(packet), int(packet.pts), bool(packet.is_keyframe))
