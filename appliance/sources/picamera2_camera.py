"""The Pi camera through picamera2: H.264 from the Pi's encoder, stamped on the shared clock.

Written against picamera2 0.3.36 (raspberrypi/picamera2 3e6dff0, May 2026):
- `Output.outputframe(frame, keyframe=True, timestamp=None, packet=None, audio=False)`;
  encoders call it positionally (the V4L2 encoder passes only the first three).
- `timestamp` is in µs since the first frame: `Encoder._timestamp` keeps the first frame's
  SensorTimestamp (ns) // 1000 in `encoder.firsttimestamp` (µs) and subtracts it. So a
  frame's sensor time is `(timestamp + encoder.firsttimestamp) / 1e6` s on CLOCK_MONOTONIC
  (the Pi's camera drivers stamp V4L2 buffers on it; libcamera's docs speak of the boot
  clock, identical on a Pi, which never suspends). Checked, not assumed: each frame's lag
  behind `time.monotonic()` is measured, and its minimum over the first second is the
  pipeline's latency (`sensor_lag`, logged). The first frames can come late: an x264
  encoder still warming up delivered the first one 0.57 s and 1.38 s after its sensor
  time, though the sensor was on CLOCK_MONOTONIC. So only a lag beyond several seconds
  (`SENSOR_CLOCK_LIMIT`), or a frame arriving before its sensor time, means the sensor
  clock is elsewhere; then frames are anchored at that frame's arrival instead.
  The libav encoder's packet pts is that same number (its time base is 1/1e6).
- `picamera2.encoders.H264Encoder` is the V4L2 hardware encoder on a Pi 4 (VC4) and an
  alias of `LibavH264Encoder` (libx264 through PyAV) on a Pi 5, whose `__init__` takes only
  bitrate, repeat, iperiod, framerate, qp, profile; so only those (minus qp) are passed.
  On the libav encoder no profile is asked for: "high" would switch x264 from its
  "ultrafast" to its "superfast" preset, too slow for 1080p30 on the Pi 5's CPU.
- `force_key_frame()` exists since picamera2 0.3.31 (picamera2 PR #1317).
- `capture_array(name="main", wait=None, signal_function=None)` dispatches a Job to the
  camera's event loop; `wait=False` returns the Job, and `wait(job, timeout)` is its
  `Future.result(timeout)`: concurrent.futures' TimeoutError (the built-in one since 3.11)
  when no request completed in time. The Job stays queued until a request completes.

PyAV on the Pi: picamera2 (apt) imports `av` lazily in encoders/libav_h264_encoder.py,
encoders/libav_mjpeg_encoder.py, outputs/pyavoutput.py and, for audio only,
encoders/encoder.py; in the appliance's venv (system site packages) that `av` is PyAV >= 18
from pip. Each call they make was tried against PyAV 18.1:
- fine: av.open(..., format="null"); add_stream(codec, rate=, width=, height=, pix_fmt=) and
  add_stream(codec_name="aac"); stream width/height/pix_fmt/profile setters and `profiles`;
  codec_context thread_count, thread_type = ThreadType.FRAME, bit_rate, gop_size, qmin,
  qmax, options[...], color_range, time_base; VideoFrame.from_numpy_buffer(a, format=,
  width=); frame.pts; bytes(packet), packet.pts/is_keyframe; av.Packet(bytes) and
  av.Packet(packet); packet dts/pts/time_base/is_keyframe/stream setters; container.mux.
- broken: `frame.pict_type = "I"` (LibavH264Encoder._encode, after force_key_frame) raises
  TypeError, since PictureType became an IntEnum in PyAV 14 (PyAV PR #1634). On the
  camera's request thread that would lose the request and the encode, and without forcing,
  a part starts at the next one-second keyframe (measured: asked at frame 40, came at 60).
  So on the libav encoder the adapter uses `keyframe_encoder_class`: a subclass whose
  `force_key_frame` never touches picamera2's own request counter (so its string never
  runs) and whose stream (`encoder._stream`, set in `_start`) marks the next frame with
  `PictureType.I` (`encoder.KeyframeOnRequest`); libx264's closed GOP makes it an IDR.
- renamed: `Flags.GLOBAL_HEADER` is `Flags.global_header` (only reached with repeat=False,
  never passed here); `Flags.QSCALE` is `Flags.qscale` (picamera2 tries both).
- encoders/encoder.py's audio thread uses `threading.Event.isSet()` (deprecated alias,
  still present in 3.11); this adapter does not use picamera2's audio.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from types import ModuleType
from typing import Any

import numpy as np

from .adapter_errors import CameraBusy, CameraNotFound, HardwareLibraryMissing
from .encoder import KeyframeOnRequest, check_video_settings
from .errors import SourceStateError
from .preview import PREVIEW_WIDTH, jpeg_from_yuv420p, preview_size
from .types import Clock, EncodedFrame, FrameSink

_logger = logging.getLogger(__name__)

#: The keyword arguments both H264Encoder classes accept and this adapter uses.
ENCODER_ARGS = ("bitrate", "repeat", "iperiod", "framerate", "profile")
#: A frame arriving later than this after its SensorTimestamp (or before it) means the
#: sensor is not on CLOCK_MONOTONIC: then that frame's arrival anchors the clock. Several
#: seconds, because a software encoder that falls behind delays the first frames by 1.4 s.
SENSOR_CLOCK_LIMIT = 5.0
#: The longest a preview grab waits for the camera (s): many frame intervals.
PREVIEW_TIMEOUT = 1.0
#: The latency is the minimum lag over this much sensor time from the first frame (s).
SENSOR_LAG_WINDOW = 1.0
LIBAV_ENCODER_NAME = "LibavH264Encoder"


def load_picamera2() -> ModuleType:
    """Import picamera2 with the encoders and outputs subpackages it keeps apart."""
    try:
        module = importlib.import_module("picamera2")
        importlib.import_module("picamera2.encoders")
        importlib.import_module("picamera2.outputs")
    except ImportError as exc:
        raise HardwareLibraryMissing(
            f"picamera2 cannot be imported ({exc.name or exc}), so the Pi camera is unusable."
        ) from exc
    return module


def load_libcamera_controls() -> Any:
    try:
        return importlib.import_module("libcamera").controls
    except ImportError as exc:
        raise HardwareLibraryMissing("libcamera's Python bindings cannot be imported.") from exc


def count_cameras(picamera2_module: ModuleType) -> int:
    """How many cameras libcamera sees, without opening one."""
    return len(picamera2_module.Picamera2.global_camera_info())


def keyframe_encoder_class(libav_encoder: type) -> type:
    """picamera2's `LibavH264Encoder`, forcing keyframes in a way PyAV >= 14 accepts."""

    class KeyframeLibavH264Encoder(libav_encoder):  # type: ignore[misc,valid-type]
        def force_key_frame(self) -> None:
            stream = getattr(self, "_stream", None)
            if isinstance(stream, KeyframeOnRequest):
                stream.request()

        def _start(self) -> None:
            super()._start()
            self._stream = KeyframeOnRequest(self._stream)  # type: ignore[has-type]

    return KeyframeLibavH264Encoder


def packed_yuv420(array: np.ndarray, width: int, height: int) -> np.ndarray:
    """picamera2's YUV420 array (rows = 1.5 x height, columns = stride) without padding."""
    stride = array.shape[1]
    if array.shape[0] != height * 3 // 2 or stride < width:
        raise ValueError(f"a {width}x{height} YUV420 picture cannot be {array.shape}")
    chroma = array[height:].reshape(-1)
    plane = (height // 2) * (stride // 2)
    u = chroma[:plane].reshape(height // 2, stride // 2)[:, : width // 2]
    v = chroma[plane : 2 * plane].reshape(height // 2, stride // 2)[:, : width // 2]
    flat = np.concatenate([array[:height, :width].reshape(-1), u.reshape(-1), v.reshape(-1)])
    return flat.reshape(height * 3 // 2, width)


def frame_output_class(output_base: type) -> type:
    """A picamera2 `Output` that hands each encoded video frame to `deliver`."""

    class FrameOutput(output_base):
        def __init__(self, deliver: Callable[[bytes, bool, int | None], None]) -> None:
            super().__init__()
            self._deliver = deliver

        def outputframe(self, frame, keyframe=True, timestamp=None, packet=None, audio=False):
            if audio or frame is None:
                return
            self._deliver(bytes(frame), bool(keyframe), timestamp)

    return FrameOutput


class Picamera2Camera:
    """A `Camera` on the Pi's camera module: 1080p H.264 plus a small preview stream."""

    def __init__(
        self,
        clock: Clock,
        width: int = 1920,
        height: int = 1080,
        fps: int = 30,
        bitrate: int = 6_000_000,
        *,
        picamera2_module: ModuleType | None = None,
        libcamera_controls: Any = None,
        camera_num: int = 0,
        preview_width: int = PREVIEW_WIDTH,
        monotonic: Callable[[], float] = time.monotonic,
        preview_timeout: float = PREVIEW_TIMEOUT,
    ) -> None:
        check_video_settings(width, height, fps, bitrate)
        self.clock = clock
        self.width, self.height, self.fps, self.bitrate = width, height, fps, bitrate
        self.camera_num = camera_num
        self.preview_width = preview_width
        self.lores_size = preview_size(width, height, preview_width)
        self._module = picamera2_module
        self._controls = libcamera_controls
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._preview_lock = threading.Lock()
        self._preview_job: Any = None
        self._preview_timeout = preview_timeout
        self._picam2: Any = None
        self._encoder: Any = None
        self._sink: FrameSink | None = None
        self._to_shared = 0.0
        self._first_sensor_time = 0.0
        self._lag_measured = False
        self._can_force_keyframe = False
        #: The least of CLOCK_MONOTONIC minus a frame's sensor time (s) over the first
        #: second: the pipeline's latency.
        self.sensor_lag: float | None = None
        #: "monotonic", or "anchored" when the sensor clock was found elsewhere.
        self.sensor_clock: str | None = None
        self.frames_delivered = 0
        self.frames_unstamped = 0
        self.error: BaseException | None = None

    # --- discovery ----------------------------------------------------------------------
    def library(self) -> ModuleType:
        if self._module is None:
            self._module = load_picamera2()
        return self._module

    def check_present(self) -> int:
        """The number of cameras libcamera sees; `CameraNotFound` when there is none."""
        count = count_cameras(self.library())
        if count <= self.camera_num:
            raise CameraNotFound("No camera is connected to this Raspberry Pi.")
        return count

    # --- Camera protocol ------------------------------------------------------------------
    def start(self, sink: FrameSink) -> None:
        with self._lock:
            if self._encoder is not None:
                raise SourceStateError("the camera is already running")
            lib = self.library()
            picam2 = self._open(lib)
            picam2.configure(self._configuration(picam2))
            if "AfMode" in picam2.camera_controls:
                controls = self._controls or load_libcamera_controls()
                picam2.set_controls({"AfMode": controls.AfModeEnum.Continuous})
            encoder_class = lib.encoders.H264Encoder
            libav = encoder_class.__name__ == LIBAV_ENCODER_NAME
            if libav:
                encoder_class = keyframe_encoder_class(encoder_class)
            encoder = encoder_class(**self.encoder_arguments(libav))
            self._can_force_keyframe = self._keyframes_can_be_forced(encoder)
            self._sink, self.sensor_clock, self.error = sink, None, None
            self._encoder = encoder
            output = frame_output_class(lib.outputs.Output)(self._on_frame)
            try:
                picam2.start_recording(encoder, output)
            except BaseException:
                self._encoder = self._sink = None
                raise
        self.request_keyframe()

    def stop(self) -> None:
        """Stop the camera; frames the encoder still holds are delivered before it returns."""
        with self._lock:
            if self._encoder is None:
                return
            try:
                self._picam2.stop_recording()
            finally:
                self._encoder = None
                self._sink = None
                self._preview_job = None

    def request_keyframe(self) -> None:
        encoder = self._encoder
        if encoder is not None and self._can_force_keyframe:
            encoder.force_key_frame()

    def preview_jpeg(self) -> bytes | None:
        """A JPEG of the next preview-stream picture; None while the camera is stopped, or
        when it delivers no picture within `PREVIEW_TIMEOUT` (a stalled camera)."""
        picam2 = self._picam2
        if picam2 is None or self._encoder is None:
            return None
        array = self._next_lores_array(picam2)
        if array is None:
            return None
        lores_width, lores_height = self.lores_size
        return jpeg_from_yuv420p(packed_yuv420(array, lores_width, lores_height),
                                 self.preview_width)

    def _next_lores_array(self, picam2: Any) -> np.ndarray | None:
        """The next lores picture, waited for at most `PREVIEW_TIMEOUT`.

        `capture_array` with no `wait` blocks until a request completes, for ever if the
        camera stalls, and the panel's viewers would queue behind it. So the capture is a
        picamera2 Job (`wait=False`) waited for with a timeout; a Job that timed out is
        kept and waited for again next time rather than queueing another behind it.
        """
        with self._preview_lock:
            job = self._preview_job
            if job is None:
                job = self._preview_job = picam2.capture_array("lores", wait=False)
        try:
            array = picam2.wait(job, timeout=self._preview_timeout)
        except TimeoutError:
            _logger.warning("the camera gave no preview picture within %.1f s",
                            self._preview_timeout)
            return None
        except CancelledError:
            array = None
        with self._preview_lock:
            if self._preview_job is job:
                self._preview_job = None
        return array

    @property
    def running(self) -> bool:
        return self._encoder is not None and self.error is None

    def close(self) -> None:
        """Release the camera for other programs (the appliance keeps it while it runs)."""
        self.stop()
        if self._picam2 is not None:
            self._picam2.close()
            self._picam2 = None

    # --- set-up ---------------------------------------------------------------------------
    def encoder_arguments(self, libav: bool) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "bitrate": self.bitrate,
            "repeat": True,  # SPS/PPS before every IDR: each part and clip stands alone
            "iperiod": self.fps,  # one-second GOP (DESIGN.md)
            "framerate": self.fps,
        }
        if not libav:
            arguments["profile"] = "high"
        return arguments

    def _open(self, lib: ModuleType) -> Any:
        if self._picam2 is None:
            self.check_present()
            try:
                self._picam2 = lib.Picamera2(self.camera_num)
            except RuntimeError as exc:  # picamera2: "Camera __init__ sequence did not complete."
                raise CameraBusy(f"The camera could not be opened: {exc}") from exc
        return self._picam2

    def _configuration(self, picam2: Any) -> dict:
        frame_us = round(1_000_000 / self.fps)
        return picam2.create_video_configuration(
            main={"size": (self.width, self.height), "format": "YUV420"},
            lores={"size": self.lores_size, "format": "YUV420"},
            controls={"FrameDurationLimits": (frame_us, frame_us)},
            encode="main",
        )

    def _keyframes_can_be_forced(self, encoder: Any) -> bool:
        if not hasattr(encoder, "force_key_frame"):
            _logger.warning("picamera2 is older than 0.3.31: keyframes follow the GOP only")
            return False
        return True

    # --- frames ---------------------------------------------------------------------------
    def _on_frame(self, data: bytes, keyframe: bool, timestamp_us: int | None) -> None:
        """Runs on picamera2's encoder thread."""
        sink, encoder = self._sink, self._encoder
        if sink is None or encoder is None or self.error is not None:
            return
        first = encoder.firsttimestamp
        if timestamp_us is None or first is None:
            self.frames_unstamped += 1
            return
        sensor_time = (timestamp_us + first) / 1_000_000
        self._check_sensor_clock(sensor_time)
        try:
            sink(EncodedFrame(data, sensor_time + self._to_shared, keyframe))
        except Exception as exc:  # kept and reported: raising would kill picamera2's thread
            self.error = exc
            _logger.exception("the frame consumer failed; the camera stops delivering")
            return
        self.frames_delivered += 1

    def _check_sensor_clock(self, sensor_time: float) -> None:
        """Decide, and over the first second check, how sensor times reach the shared clock."""
        monotonic_now = self._monotonic()
        lag = monotonic_now - sensor_time
        if self.sensor_clock is None:
            self._first_sensor_time, self.sensor_lag = sensor_time, lag
            self._lag_measured = False
            if 0.0 <= lag < SENSOR_CLOCK_LIMIT:
                self.sensor_clock = "monotonic"
                self._to_shared = self.clock.now() - monotonic_now
            else:
                self._anchor(sensor_time, lag)
            return
        if self._lag_measured:
            return
        if sensor_time - self._first_sensor_time > SENSOR_LAG_WINDOW:
            self._lag_measured = True
            _logger.info(
                "camera timestamps",
                extra={"sensor_clock": self.sensor_clock,
                       "sensor_lag_ms": round((self.sensor_lag or 0.0) * 1000, 1)},
            )
            return
        if self.sensor_clock == "monotonic" and lag < 0.0:
            self._anchor(sensor_time, lag)  # a frame before its sensor time: not monotonic
        if self.sensor_lag is None or lag < self.sensor_lag:
            self.sensor_lag = lag

    def _anchor(self, sensor_time: float, lag: float) -> None:
        """Put this frame at its arrival on the shared clock, and the others after it."""
        _logger.warning(
            "camera timestamps are not on CLOCK_MONOTONIC; anchoring them at a frame's arrival",
            extra={"sensor_offset_s": round(lag, 3)},
        )
        self.sensor_clock = "anchored"
        self._to_shared = self.clock.now() - sensor_time
