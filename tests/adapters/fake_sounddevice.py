"""A stand-in for sounddevice, mirroring python-sounddevice 0.5.5 (9e55e73).

`query_devices()` returns dicts with 'name', 'index', 'hostapi', 'max_input_channels',
'max_output_channels', 'default_samplerate'; `InputStream(samplerate=None, blocksize=None,
device=None, channels=None, dtype=None, latency=None, extra_settings=None, callback=None,
...)` calls `callback(indata, frames, time, status)` with `time.inputBufferAdcTime` and
`time.currentTime` on the stream clock and `status.input_overflow`; `stream.time` reads
the stream clock. Here the stream clock is a function the test controls (PortAudio's on
Linux follows CLOCK_REALTIME), and `deliver()` plays PortAudio calling the callback; like
PortAudio, it reuses one `indata` buffer.

As measured with real PortAudio on ALSA (snd-aloop, in the virtual Pi):
- `stream.time` raises `PortAudioError('Error getting stream time')` until the card's
  position first moves, i.e. until the first callback here;
- a raw hw device converts nothing: `check_input_settings` and `InputStream` refuse a rate
  or channel count the card does not offer ("Error opening InputStream: Invalid sample
  rate [PaErrorCode -9997]"); `FORMATS` says what each fake card offers (None: anything).
"""

from __future__ import annotations

import threading
import types
from dataclasses import dataclass

import numpy as np


class CallbackAbort(Exception):
    pass


class CallbackStop(Exception):
    pass


class PortAudioError(Exception):
    """args: (message, PaErrorCode), shown as sounddevice shows them."""

    def __str__(self):
        message = self.args[0] if self.args else ""
        return f"{message} [PaErrorCode {self.args[1]}]" if len(self.args) > 1 else message


class CallbackFlags:
    def __init__(self, flags=0x0):
        self._flags = flags

    @property
    def input_overflow(self):
        return bool(self._flags & 0x2)

    def __bool__(self):
        return bool(self._flags)


@dataclass
class StreamTime:
    """The CFFI struct PaStreamCallbackTimeInfo."""

    inputBufferAdcTime: float  # PortAudio names
    currentTime: float
    outputBufferDacTime: float = 0.0


PA_INVALID_CHANNEL_COUNT = -9998
PA_INVALID_SAMPLE_RATE = -9997

DEVICES = [
    {"name": "bcm2835 Headphones: - (hw:0,0)", "index": 0, "hostapi": 0,
     "max_input_channels": 0, "max_output_channels": 8, "default_samplerate": 44100.0},
    {"name": "USB PnP Sound Device: Audio (hw:2,0)", "index": 1, "hostapi": 0,
     "max_input_channels": 1, "max_output_channels": 0, "default_samplerate": 48000.0},
    {"name": "default", "index": 2, "hostapi": 0,
     "max_input_channels": 32, "max_output_channels": 32, "default_samplerate": 44100.0},
    {"name": "Loopback: PCM (hw:3,0)", "index": 3, "hostapi": 0,
     "max_input_channels": 2, "max_output_channels": 2, "default_samplerate": 44100.0},
]
#: (rates, channel counts) each card's raw device opens with; the loopback is pinned by
#: its other end (aplay -D hw:Loopback,1 -r 44100 -c 2) to 44.1 kHz stereo.
FORMATS = {1: ({44_100, 48_000}, {1}), 2: None, 3: ({44_100}, {2})}
DEFAULT_INPUT = 2


def make_sounddevice(stream_clock, devices=DEVICES, formats=FORMATS) -> types.ModuleType:
    """A fake `sounddevice`; `module.streams` lists every InputStream opened.

    `module.busy` makes `start()` fail as a held device does; `module.first_block_on_start`
    (a sample value) makes `start()` deliver one block from a thread of its own, as
    PortAudio's callback thread does a block after the start.
    """
    module = types.ModuleType("sounddevice")
    module.streams = []
    module.CallbackAbort, module.CallbackStop = CallbackAbort, CallbackStop
    module.CallbackFlags = CallbackFlags
    module.PortAudioError = PortAudioError
    module.busy = False
    module.first_block_on_start = None
    module.format_checks = []

    def query_devices(device=None, kind=None):
        if device is None and kind == "input":
            device = DEFAULT_INPUT
        if device is None:
            return list(devices)
        return next(d for d in devices if d["index"] == device)

    def check_format(device, channels, samplerate, message):
        device = DEFAULT_INPUT if device is None else device
        offered = formats.get(device)
        info = query_devices(device)
        if channels > info["max_input_channels"] or (
            offered is not None and channels not in offered[1]
        ):
            raise PortAudioError(
                f"{message}Invalid number of channels",
                PA_INVALID_CHANNEL_COUNT,
            )
        if offered is not None and samplerate not in offered[0]:
            raise PortAudioError(
                f"{message}Invalid sample rate",
                PA_INVALID_SAMPLE_RATE,
            )

    def check_input_settings(device=None, channels=None, dtype=None, extra_settings=None,
                             samplerate=None):
        module.format_checks.append((device, samplerate, channels))
        check_format(device, channels, samplerate, "")

    class InputStream:
        def __init__(self, samplerate=None, blocksize=None, device=None, channels=None,
                     dtype=None, latency=None, extra_settings=None, callback=None,
                     finished_callback=None, clip_off=None, dither_off=None,
                     never_drop_input=None, prime_output_buffers_using_stream_callback=None):
            check_format(device, channels, samplerate, "Error opening InputStream: ")
            self.samplerate, self.blocksize, self.device = samplerate, blocksize, device
            self.channels, self.dtype, self.callback = channels, dtype, callback
            self.active = self.closed = False
            self.position_moved = False
            self.aborted: BaseException | None = None
            self._buffer = np.zeros((blocksize or 960, channels or 1), np.float32)
            module.streams.append(self)

        @property
        def time(self):
            if not self.position_moved:  # Pa_GetStreamTime returned 0
                raise PortAudioError("Error getting stream time")
            return stream_clock()

        def start(self):
            if module.busy:
                raise PortAudioError("Error starting stream: Device unavailable [-9985]")
            self.active = True
            if module.first_block_on_start is not None:
                value = module.first_block_on_start
                threading.Thread(target=self.deliver, args=(value,), daemon=True).start()

        def stop(self, ignore_errors=True):
            self.active = False

        def close(self, ignore_errors=True):
            self.closed = True

        def deliver(self, value: float, *, adc_delay: float = 0.01, adc=None, current=None,
                    overflow: bool = False):
            """One callback: the block's samples all `value`, captured `adc_delay` s ago."""
            if not self.active:
                raise RuntimeError("stream not started")
            self.position_moved = True
            now = stream_clock() if current is None else current
            adc_time = now - adc_delay if adc is None else adc
            self._buffer[:] = value
            try:
                self.callback(self._buffer, len(self._buffer), StreamTime(adc_time, now),
                              CallbackFlags(0x2 if overflow else 0))
            except CallbackAbort as exc:
                self.aborted = exc
                self.active = False

    module.query_devices = query_devices
    module.check_input_settings = check_input_settings
    module.InputStream = InputStream
    return module
