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
- `stream.time` is `Pa_GetStreamTime`, and a 0 from it raises `PortAudioError('Error
  getting stream time')`. On ALSA it is 0 until the card's position first moves (measured
  on snd-aloop: 29 of 30 reads right after `start()` raised; a USB microphone moves only
  after its first transfer). So the stream clock is taken from the first callback's
  `currentTime` instead, and `start()` waits for that callback (up to `CLOCK_WAIT`) on an
  Event, only to log which system clock the stream clock follows.
- `check_input_settings(device, channels, dtype, extra_settings, samplerate)` runs
  `Pa_IsFormatSupported` and raises `PortAudioError` when the device refuses the format;
  `InputStream` raises the same ("Error opening InputStream: Invalid sample rate"). A raw
  ALSA device (hw:N) converts nothing, so a card pinned to 44.1 kHz stereo refuses 48 kHz
  mono: the adapter then opens a format the card offers, downmixes to mono here, and labels
  each block with the card's rate; the recorder's `PictureClockResampler` takes a block's
  own rate as nominal and resamples onto the 48 kHz timeline.

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

from .adapter_errors import (
    HardwareLibraryMissing,
    MicrophoneBusy,
    MicrophoneFormatUnsupported,
    MicrophoneNotFound,
)
from .errors import SourceSettingsError, SourceStateError
from .stream_clock import JUMP_THRESHOLD, StreamClockTracker
from .types import AudioBlock, AudioSink, Clock

_logger = logging.getLogger(__name__)

#: An ADC time this far behind the callback (s) is not a capture time (a broken driver).
MAX_ADC_AGE = 2.0
#: Stream clock within this of a reference clock (s) at start-up "follows" it.
CLOCK_MATCH = 0.5
#: How long `start()` waits for the first callback that carries a stream time (s); it came
#: 1.9-3.4 ms after `start()` on snd-aloop, a block (20 ms) later on a USB microphone.
CLOCK_WAIT = 0.1
#: Rates tried, after the one asked for and the device's default, when a card refuses it.
FALLBACK_RATES = (48_000, 44_100, 96_000, 32_000, 16_000)
SAMPLE_FORMAT = "float32"


def load_sounddevice() -> ModuleType:
    try:
        return importlib.import_module("sounddevice")
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library itself is missing
        raise HardwareLibraryMissing(
            f"sounddevice cannot be loaded ({exc}), so the microphone is unusable."
        ) from exc


def capture_formats(requested_rate: int, requested_channels: int, device_info: dict
                    ) -> list[tuple[int, int]]:
    """(rate, channels) to try, best first: as asked, then what the card likely offers."""
    default_rate = int(float(device_info.get("default_samplerate") or requested_rate))
    rates = list(dict.fromkeys([requested_rate, default_rate, *FALLBACK_RATES]))
    most = int(device_info.get("max_input_channels") or requested_channels)
    counts = [c for c in dict.fromkeys([requested_channels, 2, most])
              if requested_channels <= c <= most]
    return [(rate, channels) for channels in counts for rate in rates]


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
        clock_wait: float = CLOCK_WAIT,
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
        self._clock_wait = clock_wait
        self._clock_known = threading.Event()
        self._lock = threading.Lock()
        self._stream: Any = None
        self._sink: AudioSink | None = None
        #: "realtime", "monotonic" or "own": what the stream clock followed at start-up
        #: (None until a callback carried a stream time).
        self.stream_clock_kind: str | None = None
        self._reset_timing()
        self.overflows = 0
        self.error: BaseException | None = None
        #: The format the card delivers (the one asked for, unless the card refuses it).
        self.capture_rate, self.capture_channels = sample_rate, channels

    def _reset_timing(self) -> None:
        self._tracker = StreamClockTracker(self._jump_threshold)
        self._anchor: float | None = None
        self._samples = 0
        self._next_time: float | None = None
        self.count_clock_blocks = 0
        self.stream_clock_kind = None
        self._clock_known.clear()

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
            self.error = None
            device = self.input_device()
            self.capture_rate, self.capture_channels = self._choose_format(sd, device)
            self._sink = sink
            try:
                self._stream = self._open_started(sd, device)
            finally:
                if self._stream is None:
                    self._sink = None
        self._log_stream_clock()

    def _open_started(self, sd: ModuleType, device: int | None) -> Any:
        """A started stream; on any failure after it opened, it is closed again."""
        try:
            stream = sd.InputStream(
                samplerate=self.capture_rate,
                blocksize=self._capture_block(),
                device=device,
                channels=self.capture_channels,
                dtype=SAMPLE_FORMAT,
                callback=self._callback,
            )
        except sd.PortAudioError as exc:
            raise MicrophoneBusy(f"The microphone could not be opened: {exc}") from exc
        try:
            stream.start()
        except sd.PortAudioError as exc:
            stream.close()
            raise MicrophoneBusy(f"The microphone could not be started: {exc}") from exc
        except BaseException:
            stream.close()
            raise
        return stream

    def _capture_block(self) -> int:
        """Frames per callback at the card's rate: the same duration as asked for."""
        return max(1, round(self.block_frames * self.capture_rate / self.sample_rate))

    def _choose_format(self, sd: ModuleType, device: int | None) -> tuple[int, int]:
        """The first (rate, channels) the device accepts: as asked if it can."""
        info = sd.query_devices(device, "input") if device is None else sd.query_devices(device)
        formats = capture_formats(self.sample_rate, self.channels, info)
        refusals: dict[str, None] = {}
        for rate, channels in formats:
            try:
                sd.check_input_settings(
                    device=device, channels=channels, dtype=SAMPLE_FORMAT, samplerate=rate
                )
            except sd.PortAudioError as exc:
                refusals[str(exc)] = None
                continue
            if (rate, channels) != (self.sample_rate, self.channels):
                _logger.warning(
                    "the microphone refuses %d Hz with %d channel(s); recording at %d Hz with "
                    "%d channel(s), mixed to mono and resampled",
                    self.sample_rate, self.channels, rate, channels,
                )
            return rate, channels
        rates = "/".join(str(r) for r in dict.fromkeys(r for r, _ in formats))
        counts = " or ".join(str(c) for c in dict.fromkeys(c for _, c in formats))
        raise MicrophoneFormatUnsupported(
            f"The microphone {info.get('name', device)!r} accepts no format the appliance can "
            f"record from. It offers {info.get('max_input_channels', 0)} input channel(s) at "
            f"{float(info.get('default_samplerate') or 0):.0f} Hz by default, and refused "
            f"{rates} Hz with {counts} channel(s): " + "; ".join(refusals)
        )

    def _log_stream_clock(self) -> None:
        """Log which system clock the stream clock follows, from the first timed callback."""
        if self._clock_known.wait(self._clock_wait):
            _logger.info("PortAudio stream clock", extra={"stream_clock": self.stream_clock_kind})
        else:
            _logger.info(
                "PortAudio gave no stream time within %.0f ms of the start; capture times "
                "follow the sample count until it does", self._clock_wait * 1000,
            )

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
        if not self._clock_known.is_set():
            self._identify_stream_clock(time_info)
        samples = self._in_channels_asked_for(indata)
        capture_time = self._capture_time(time_info, frames, shared_now)
        self._samples += frames
        self._next_time = capture_time + frames / self.capture_rate
        try:
            if overflow and self.on_overflow is not None:
                self.on_overflow(self.overflows)
            sink(AudioBlock(samples, capture_time, self.capture_rate))
        except Exception as exc:  # kept and reported; PortAudio would only print it
            self.error = exc
            _logger.exception("the audio consumer failed; the microphone stops")
            raise self.library().CallbackAbort from exc

    def _in_channels_asked_for(self, indata: np.ndarray) -> np.ndarray:
        """A copy (PortAudio reuses its buffer) with the channels asked for: mono is the
        mean of the card's channels, more than mono the first of them."""
        if indata.shape[1] == self.channels:
            return np.array(indata, dtype=np.float32, copy=True)
        if self.channels == 1:
            return indata.mean(axis=1, dtype=np.float32, keepdims=True)
        return np.array(indata[:, : self.channels], dtype=np.float32, copy=True)

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
            self._anchor = shared_now - (self._samples + frames) / self.capture_rate
        return self._anchor + self._samples / self.capture_rate

    def _identify_stream_clock(self, time_info: Any) -> None:
        """Which system clock the stream clock follows (it decides what a jump does)."""
        stream_now = float(getattr(time_info, "currentTime", 0.0) or 0.0)
        if stream_now <= 0.0:  # ALSA: the card's position has not moved yet
            return
        if abs(stream_now - self._realtime_clock()) < CLOCK_MATCH:
            self.stream_clock_kind = "realtime"
        elif abs(stream_now - self._monotonic()) < CLOCK_MATCH:
            self.stream_clock_kind = "monotonic"
        else:
            self.stream_clock_kind = "own"
        self._clock_known.set()
