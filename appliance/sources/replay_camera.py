"""A camera that replays a pre-encoded H.264 stream, as a Pi 4's hardware encoder delivers.

Benchmarks need the recorder's real cost without the cost of encoding on the same CPU:
on the Pi the encoder is hardware, and the software encoder of `SyntheticCamera` would
eat the very cores being measured. So the stream is encoded once, ahead of time
(`make_replay_file`), and replayed here one access unit per frame period, stamped with
capture times on the shared clock.

Limits, by design: the pictures (and their time strips) are those of the file, not of
now; `request_keyframe` cannot force anything, the next IDR in the file (at most one GOP
away, 1 s for files from `make_replay_file`) serves; the preview decodes the latest IDR
only, so it may be up to one GOP old. The whole file is held in memory.
"""

from __future__ import annotations

from pathlib import Path

import av

from .annexb import is_idr, split_access_units
from .clock import PacedSource, VirtualClock
from .errors import ReplayFileError, SourceSettingsError, SourceStateError
from .preview import PREVIEW_WIDTH, jpeg_from_frame
from .synthetic_camera import SyntheticCamera
from .types import EncodedFrame, FrameSink, PacingClock


class ReplayCamera(PacedSource):
    """A `Camera` feeding the access units of an Annex B file at `fps`, looping if asked."""

    def __init__(
        self,
        clock: PacingClock,
        path: Path | str,
        fps: int = 30,
        *,
        loop: bool = True,
        preview_width: int = PREVIEW_WIDTH,
    ) -> None:
        if fps <= 0:
            raise SourceSettingsError(f"the frame rate must be positive, not {fps}")
        self.clock, self.path, self.fps, self.loop = clock, Path(path), fps, loop
        self.preview_width = preview_width
        self._units = _read_access_units(self.path)
        self._keyframes = [is_idr(unit) for unit in self._units]
        first_picture = _decode_one(self._units[0], self.path)
        self.width, self.height = first_picture.width, first_picture.height
        self._ticker = None
        self._sink: FrameSink | None = None
        self._start = 0.0
        self._latest_idr: bytes | None = None
        self.frames_delivered = 0

    def start(self, sink: FrameSink) -> None:
        if self._ticker is not None:
            raise SourceStateError("the replay camera is already running")
        self._sink = sink
        self._start = self.clock.now()
        # Skipping an access unit would break every picture predicted from it, so late
        # frames are delivered back to back instead, as a hardware encoder's queue does.
        self._ticker = self.clock.pace(
            lambda n: self._start + n / self.fps, self._deliver, name="replay-camera"
        )

    def _deliver(self, n: int, capture_time: float) -> None:
        assert self._sink is not None  # set by start before the ticker runs
        if n >= len(self._units) and not self.loop:
            if self._ticker is not None:  # None only if the first tick beat pace's return
                self._ticker.cancel()
            return
        index = n % len(self._units)
        unit, keyframe = self._units[index], self._keyframes[index]
        if keyframe:
            self._latest_idr = unit
        self._sink(EncodedFrame(unit, capture_time, keyframe))
        self.frames_delivered += 1

    def stop(self) -> None:
        if self._ticker is None:
            return
        self._ticker.cancel()
        self._ticker = None

    @property
    def frames_dropped(self) -> int:
        return 0

    def request_keyframe(self) -> None:
        """Nothing to force in a recorded stream: the file's next IDR comes within a GOP."""

    def preview_jpeg(self) -> bytes | None:
        """A JPEG of the latest IDR picture delivered; None before the first."""
        unit = self._latest_idr
        if unit is None:
            return None
        return jpeg_from_frame(_decode_one(unit, self.path), self.preview_width)


def _read_access_units(path: Path) -> list[bytes]:
    try:
        stream = path.read_bytes()
    except FileNotFoundError as exc:
        raise ReplayFileError(f"the replay file {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise ReplayFileError(f"the replay file {path} is a folder, not a file") from exc
    units = split_access_units(stream)
    if not units:
        raise ReplayFileError(f"{path} holds no H.264 Annex B pictures")
    if not is_idr(units[0]):
        raise ReplayFileError(f"{path} does not start with an IDR picture, so cannot loop")
    return units


def _decode_one(unit: bytes, path: Path) -> av.VideoFrame:
    decoder = av.CodecContext.create("h264", "r")
    try:
        frames = [*decoder.decode(av.Packet(unit)), *decoder.decode(None)]
    except av.error.InvalidDataError as exc:
        raise ReplayFileError(f"{path}: its first picture does not decode as H.264") from exc
    if not frames:
        raise ReplayFileError(f"{path}: its first picture does not decode as H.264")
    return frames[0]


def make_replay_file(
    path: Path | str,
    seconds: float,
    width: int = 1920,
    height: int = 1080,
    fps: int = 30,
    bitrate: int = 6_000_000,
    *,
    seed: int = 0,
) -> int:
    """Encode `seconds` of the synthetic scene into an Annex B file; returns frames written.

    The synthetic camera runs on a virtual clock from 0, so this takes only encoding
    time, the file starts with an IDR and holds one every second, and its time strips
    read 0 ms onwards.
    """
    clock = VirtualClock()
    camera = SyntheticCamera(clock, width, height, fps, bitrate, seed=seed)
    frames = round(seconds * fps)
    if frames <= 0:
        raise SourceSettingsError(f"a replay file needs at least one frame, not {seconds} s")
    target = Path(path)
    written = 0
    with open(target, "wb") as out:

        def write(frame: EncodedFrame) -> None:
            nonlocal written
            out.write(frame.data)
            written += 1

        camera.start(write)
        clock.run_until((frames - 1) / fps)
        camera.stop()
    return written
