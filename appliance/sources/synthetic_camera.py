"""The simulated camera: a measurable picture, encoded as the Pi would deliver it.

Frame n is captured at exactly `sync.epoch + n / fps` on the shared clock (the grid is
anchored to the sync epoch, so a flash frame's capture time IS its flash instant and the
microphone's beep starts at the same instant). Each picture carries its capture time in
the time strip; the first frame at or after every sync instant is white below the strip.
The first frame after `start()` and every frame after `request_keyframe()` is an IDR.

On a real clock the camera runs on its own thread and, like a sensor pipeline, drops
frames (counted in `frames_dropped`) rather than fall behind; the sink is called on that
thread. On a virtual clock it runs inside `clock.run_until`.
"""

from __future__ import annotations

import math
import threading

import av

from .clock import PacedSource
from .encoder import EncodedPacket, H264Encoder, check_video_settings
from .errors import SourceStateError
from .preview import PREVIEW_WIDTH, jpeg_from_frame
from .scene import MovingScene
from .strip import draw_strip
from .sync import SyncSchedule
from .types import EncodedFrame, FrameSink, PacingClock


class SyntheticCamera(PacedSource):
    """A `Camera` drawing a moving scene with a time strip and sync flashes."""

    def __init__(
        self,
        clock: PacingClock,
        width: int = 1920,
        height: int = 1080,
        fps: int = 30,
        bitrate: int = 6_000_000,
        *,
        sync: SyncSchedule | None = None,
        seed: int = 0,
        preview_width: int = PREVIEW_WIDTH,
    ) -> None:
        self.clock = clock
        self.width, self.height, self.fps, self.bitrate = width, height, fps, bitrate
        self.sync = sync if sync is not None else SyncSchedule()
        self.preview_width = preview_width
        check_video_settings(width, height, fps, bitrate)
        self._scene = MovingScene(width, height, seed)
        self._ticker = None
        self._encoder: H264Encoder | None = None
        self._sink: FrameSink | None = None
        self._first_index = 0
        self._capture_times: dict[int, float] = {}
        self._idr_wanted = threading.Event()
        self._preview_lock = threading.Lock()
        self._latest: av.VideoFrame | None = None
        self.frames_delivered = 0

    def frame_time(self, n: int) -> float:
        """Capture time of frame n of the grid anchored at the sync epoch."""
        return self.sync.epoch + n / self.fps

    def start(self, sink: FrameSink) -> None:
        if self._ticker is not None:
            raise SourceStateError("the camera is already running")
        self._encoder = H264Encoder(self.width, self.height, self.fps, self.bitrate)
        self._sink = sink
        self._capture_times.clear()
        self._idr_wanted.clear()
        self._first_index = math.ceil((self.clock.now() - self.sync.epoch) * self.fps - 1e-6)
        self._ticker = self.clock.pace(
            self.frame_time,
            self._capture,
            first=self._first_index,
            skip_late=True,
            name="synthetic-camera",
        )

    def _capture(self, n: int, capture_time: float) -> None:
        flash = self.sync.is_flash_frame(capture_time, 1 / self.fps)
        picture = self._scene.render(n, flash=flash)
        draw_strip(picture[: self.height], self.sync.strip_ms(capture_time))
        pts = n - self._first_index
        self._capture_times[pts] = capture_time
        idr = self._idr_wanted.is_set()
        if idr:
            self._idr_wanted.clear()
        frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
        assert self._encoder is not None  # the ticker runs only between start and stop
        self._deliver(self._encoder.encode(frame, pts, idr=idr))
        self._latest = frame

    def _deliver(self, packets: list[EncodedPacket]) -> None:
        assert self._sink is not None  # set by start before the ticker or encoder run
        for packet in packets:
            capture_time = self._capture_times.pop(packet.pts)
            self._sink(EncodedFrame(packet.data, capture_time, packet.keyframe))
            self.frames_delivered += 1

    def stop(self) -> None:
        """Stop capturing and deliver whatever the encoder still holds."""
        if self._ticker is None:
            return
        self._ticker.cancel()
        assert self._encoder is not None  # made by start, with the ticker
        self._deliver(self._encoder.flush())
        self._ticker = None
        self._encoder = None

    def request_keyframe(self) -> None:
        """Make the next captured frame an IDR (with SPS/PPS before it)."""
        self._idr_wanted.set()

    @property
    def frames_dropped(self) -> int:
        return self._ticker.skipped if self._ticker is not None else 0

    def preview_jpeg(self) -> bytes | None:
        """A JPEG of the latest picture, at most `preview_width` wide; None before any."""
        with self._preview_lock:  # PyAV crashes when two threads reformat one frame at once
            latest = self._latest
            return None if latest is None else jpeg_from_frame(latest, self.preview_width)
