"""A USB microphone through sounddevice (PortAudio), stamped on the shared clock.

Written against python-sounddevice 0.5.5 (spatialaudio/python-sounddevice 9e55e73):
- `InputStream(samplerate, blocksize, device, channels, dtype, ..., callback)`; the
  callback is `callback(indata, frames, time, status)`: `indata` is a (frames, channels)
  array over PortAudio's buffer (valid only during the call, so it is copied); `time` a
  CFFI struct with `inputBufferAdcTime` and `currentTime` in seconds on the stream clock;
  `status` a `CallbackFlags` with `input_overflow`.
- `query_devices()` returns a `DeviceList` of dicts with 'name', 'index',
  'max_input_channels', ...; `stream.time` is the stream clock (not to be called from the
  callback: PortAudio allows no API calls there but `cpu_load`).
- An exception raised in the callback stops the stream; `CallbackAbort` stops it at once.

Times: the ADC time of each block goes through `StreamClockTracker` (the stream clock
follows CLOCK_REALTIME on Linux and jumps when the time is set). When a host API gives no
ADC time (0), or while a jump is not yet confirmed, the time continues from the sample
count, anchored when the stream starts and again after an overflow (samples were lost).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from .adapter_errors import HardwareLibraryMissing, MicrophoneBusy, MicrophoneNotFound
from .errors import SourceSettingsError, SourceStateError
from .stream_clock import JUMP_THRESHOLD, StreamClockTracker
from .types import AudioBlock, AudioSink, Clock

_logger = logging.getLogger(__name__)

#: An ADC time this far behind the callback (s) is not a capture time (a broken driver).
MAX_ADC_AGE = 2.0
#: Stream clock within this of a reference clock (s) at start-up "follows" it.
CLOCK_MATCH = 0.5


def load_sounddevice() -> ModuleType:
    try:
        return importlib.import_module("sounddevice")
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library itself is missing
        raise HardwareLibraryMissing(
            f"sounddevice cannot be loaded ({exc}), so the microphone is unusable."
        ) from exc


def choose_input_device(devices: Sequence[dict], substring: str, channels: int) -> int | None:
    """The index of the first input whose name contains `substring` (any case).

    An empty substring means PortAudio's default input (None).
    """
    if not substring:
        return None
    inputs = [d for d in devices if d.get("max_input_channels", 0) >= channels]
    for device in inputs:
        if substring.lower() in device["name"].lower():
            return int(device["index"])
    names = ", ".join(repr(d["name"]) for d in inputs) or "none"
    raise MicrophoneNotFound(
        f"No sound input with {channels} channel(s) has {substring!r} in its name "
        f"(inputs found: {names})."
    )


class SounddeviceMicrophone:
    """A `Microphone` on a PortAudio input; `overflows` counts blocks PortAudio dropped."""

    def __init__(
        self,
        clock: Clock,
        sample_rate: int = 48_000,
        channels: int = 1,
        device_substring: str = "",
        block_frames: int = 960,
        *,
        sounddevice_module: ModuleType | None = None,
        realtime_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        on_overflow: Callable[[int], None] | None = None,
        jump_threshold: float = JUMP_THRESHOLD,
    ) -> None:
        if sample_rate <= 0 or channels <= 0 or block_frames <= 0:
            raise SourceSettingsError(
                f"sample rate, channels and block size must be positive, not {sample_rate} Hz, "
                f"{channels} channel(s), {block_frames} frames"
            )
        self.clock = clock
        self.sample_rate, self.channels = sample_rate, channels
        self.device_substring = device_substring
        self.block_frames = block_frames
        self.on_overflow = on_overflow
        self._module = sounddevice_module
        self._realtime_clock = realtime_clock
        self._monotonic = monotonic
        self._jump_threshold = jump_threshold
        self._lock = threading.Lock()
        self._stream: Any = None
        self._sink: AudioSink | None = None
        self._reset_timing()
        self.overflows = 0
        self.error: BaseException | None = None
        #: "realtime", "monotonic" or "own": what the stream clock followed at start-up.
        self.stream_clock_kind: str | None = None

    def _reset_timing(self) -> None:
        self._tracker = StreamClockTracker(self._jump_threshold)
        self._anchor: float | None = None
        self._samples = 0
        self._next_time: float | None = None
        self.count_clock_blocks = 0

    @property
    def clock_jumps(self) -> int:
        """How often the stream clock jumped (the time was set) while capturing."""
        return self._tracker.jumps

    def library(self) -> ModuleType:
        if self._module is None:
            self._module = load_sounddevice()
        return self._module

    def input_device(self) -> int | None:
        sd = self.library()
        return choose_input_device(sd.query_devices(), self.device_substring, self.channels)

    # --- Microphone protocol --------------------------------------------------------------
    def start(self, sink: AudioSink) -> None:
        with self._lock:
            if self._stream is not None:
                raise SourceStateError("the microphone is already running")
            sd = self.library()
            self._reset_timing()
            self._sink, self.error = sink, None
            device = self.input_device()
            try:
                stream = sd.InputStream(
                    samplerate=self.sample_rate,
                    blocksize=self.block_frames,
                    device=device,
                    channels=self.channels,
                    dtype="float32",
                    callback=self._callback,
                )
                stream.start()
            except sd.PortAudioError as exc:
                raise MicrophoneBusy(f"The microphone could not be started: {exc}") from exc
            self._stream = stream
            self.stream_clock_kind = self._identify_stream_clock(stream.time)

    def stop(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
            if stream is None:
                return
            try:
                stream.stop()
            finally:
                stream.close()
                self._sink = None

    @property
    def running(self) -> bool:
        return self._stream is not None and self.error is None

    # --- the PortAudio callback (its own real-time thread) --------------------------------
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        shared_now = self.clock.now()
        sink = self._sink
        if sink is None:
            return
        overflow = bool(getattr(status, "input_overflow", False))
        if overflow:
            self.overflows += 1
            self._next_time = None
            self._anchor = None
        samples = np.array(indata, dtype=np.float32, copy=True)
        capture_time = self._capture_time(time_info, frames, shared_now)
        self._samples += frames
        self._next_time = capture_time + frames / self.sample_rate
        try:
            if overflow and self.on_overflow is not None:
                self.on_overflow(self.overflows)
            sink(AudioBlock(samples, capture_time, self.sample_rate))
        except Exception as exc:  # kept and reported; PortAudio would only print it
            self.error = exc
            _logger.exception("the audio consumer failed; the microphone stops")
            raise self.library().CallbackAbort from exc

    def _capture_time(self, time_info: Any, frames: int, shared_now: float) -> float:
        adc = float(getattr(time_info, "inputBufferAdcTime", 0.0) or 0.0)
        current = float(getattr(time_info, "currentTime", 0.0) or 0.0)
        if adc > 0.0 and current > 0.0:
            trusted = self._tracker.observe(current, shared_now)
            if trusted:
                stamped = self._tracker.to_shared(adc)
                if shared_now - MAX_ADC_AGE <= stamped <= shared_now:
                    return stamped
            if self._next_time is not None:
                return self._next_time
        return self._sample_count_time(frames, shared_now)

    def _sample_count_time(self, frames: int, shared_now: float) -> float:
        """Time from the sample count, anchored so this block ends now."""
        self.count_clock_blocks += 1
        if self._anchor is None:
            self._anchor = shared_now - (self._samples + frames) / self.sample_rate
        return self._anchor + self._samples / self.sample_rate

    def _identify_stream_clock(self, stream_now: float) -> str:
        """Log which system clock the stream clock follows (it decides what a jump does)."""
        if abs(stream_now - self._realtime_clock()) < CLOCK_MATCH:
            kind = "realtime"
        elif abs(stream_now - self._monotonic()) < CLOCK_MATCH:
            kind = "monotonic"
        else:
            kind = "own"
        _logger.info("PortAudio stream clock", extra={"stream_clock": kind})
        return kind
