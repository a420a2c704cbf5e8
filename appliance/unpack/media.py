"""Joining parts and re-wrapping clips into ordinary MP4s, without re-encoding (PyAV).

The appliance writes fragmented MP4 (every fragment is playable the moment it is on disk).
A laptop player is happiest with one plain MP4 whose index is at the front ("faststart"),
so packets are copied as they are into a new file; the pictures are never re-encoded.
A part cut short by a power cut ends inside a fragment: the demuxer stops there, and
whatever it delivered whole is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .errors import MediaUnreadable

MEDIA_TYPES = ("video", "audio")


@dataclass
class JoinReport:
    """How long the result plays, and which input parts ended early (damaged or cut)."""

    duration_s: float = 0.0
    packets: int = 0
    stopped_early: list[tuple[Path, float, str]] = field(default_factory=list)


class _Joiner:
    """Copies packets of successive parts into one output, continuing the time line."""

    def __init__(self, output: av.container.OutputContainer) -> None:
        self.output = output
        self.streams: dict[str, av.stream.Stream] = {}
        self.end_s: dict[str, float] = {}
        self.report = JoinReport()

    def add_part(self, path: Path) -> None:
        try:
            container = av.open(str(path))
        except av.FFmpegError as exc:
            raise MediaUnreadable(f"{path.name} is not a readable MP4 ({exc}).") from exc
        with container:
            inputs = [s for s in container.streams if s.type in MEDIA_TYPES]
            if not inputs:
                raise MediaUnreadable(f"{path.name} holds no video or audio.")
            for stream in inputs:
                if stream.type not in self.streams:
                    self.streams[stream.type] = self.output.add_stream_from_template(stream)
            self._copy_packets(container, inputs, path)

    def _copy_packets(self, container, inputs, path: Path) -> None:
        """Copy every whole packet, shifting this part's clock to follow the previous one.

        Time bases are turned into floats once per stream: Fraction arithmetic per packet
        would cost more than the copying itself.
        """
        previous_end = max(self.end_s.values(), default=0.0)
        offset: float | None = None
        shifts: dict[int, int] = {}
        ends: dict[int, int] = {}
        bases = {s.index: (s.type, float(s.time_base)) for s in inputs}
        try:
            for packet in container.demux(inputs):
                dts = packet.dts
                if dts is None or packet.size == 0 or packet.is_corrupt:
                    continue
                index = packet.stream_index
                kind, base = bases[index]
                if offset is None:
                    offset = max(0.0, previous_end - dts * base)
                shift = shifts.get(index)
                if shift is None:
                    shift = shifts[index] = round(offset / base)
                pts = packet.pts
                packet.dts = dts + shift
                if pts is not None:
                    packet.pts = pts + shift
                end = (pts if pts is not None else dts) + shift + (packet.duration or 0)
                if end > ends.get(index, -1):
                    ends[index] = end
                packet.stream = self.streams[kind]
                self.output.mux(packet)
                self.report.packets += 1
        except (av.FFmpegError, EOFError) as exc:
            self._note_ends(ends, bases)
            self.report.stopped_early.append((path, self.report.duration_s, str(exc)))
        self._note_ends(ends, bases)

    def _note_ends(self, ends: dict[int, int], bases: dict[int, tuple[str, float]]) -> None:
        for index, end in ends.items():
            kind, base = bases[index]
            self.end_s[kind] = max(self.end_s.get(kind, 0.0), end * base)
        self.report.duration_s = max(self.end_s.values(), default=0.0)


def join_parts(parts: Sequence[Path], out: Path) -> JoinReport:
    """Write `parts`, in order, as one faststart MP4 at `out`; no re-encoding."""
    if not parts:
        raise MediaUnreadable("There is no recording to join.")
    output = av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"})
    joiner = _Joiner(output)
    try:
        for path in parts:
            try:
                joiner.add_part(path)
            except MediaUnreadable as exc:
                joiner.report.stopped_early.append((path, joiner.report.duration_s, str(exc)))
    finally:
        if joiner.report.packets:
            output.close()
    if not joiner.report.packets:
        out.unlink(missing_ok=True)
        raise MediaUnreadable(f"{parts[0].name} holds no complete picture or sound.")
    return joiner.report


def grab_frames(video: Path, times: Sequence[float], width: int) -> list[np.ndarray | None]:
    """An RGB picture (`width` wide) at each time, or None where the video has none."""
    pictures: list[np.ndarray | None] = []
    with av.open(str(video)) as container:
        if not container.streams.video:
            return [None for _ in times]
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for t in times:
            pictures.append(_frame_at(container, stream, t, width))
    return pictures


def _frame_at(container, stream, t: float, width: int) -> np.ndarray | None:
    tb = stream.time_base
    container.seek(max(0, int(t / tb)), stream=stream, backward=True, any_frame=False)
    best = None
    try:
        for frame in container.decode(stream):
            best = frame
            if frame.time is not None and frame.time >= t:
                break
    except av.FFmpegError:
        pass
    if best is None:
        return None
    height = max(2, round(width * best.height / best.width / 2) * 2)
    return best.reformat(width=width, height=height, format="rgb24").to_ndarray()


def encode_jpeg(picture: np.ndarray, quality: int = 4) -> bytes:
    """JPEG bytes of an RGB array, with FFmpeg's encoder (no imaging library needed)."""
    height, width = picture.shape[:2]
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = width - width % 2, height - height % 2
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qmin": str(quality), "qmax": str(quality)}
    frame = av.VideoFrame.from_ndarray(
        np.ascontiguousarray(picture[: codec.height, : codec.width]), format="rgb24"
    )
    frame = frame.reformat(format="yuvj420p")
    frame.pts = 0
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    return b"".join(bytes(p) for p in packets)
