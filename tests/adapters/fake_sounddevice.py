"""A stand-in for sounddevice, mirroring python-sounddevice 0.5.5 (9e55e73).

`query_devices()` returns dicts with 'name', 'index', 'hostapi', 'max_input_channels',
'max_output_channels', 'default_samplerate'; `InputStream(samplerate=None, blocksize=None,
device=None, channels=None, dtype=None, latency=None, extra_settings=None, callback=None,
...)` calls `callback(indata, frames, time, status)` with `time.inputBufferAdcTime` and
`time.currentTime` on the stream clock and `status.input_overflow`; `stream.time` reads
the stream clock. Here the stream clock is a function the test controls (PortAudio's on
Linux follows CLOCK_REALTIME), and `deliver()` plays PortAudio calling the callback; like
PortAudio, it reuses one `indata` buffer.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np


class CallbackAbort(Exception):
    pass


class CallbackStop(Exception):
    pass


class PortAudioError(Exception):
    pass


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


DEVICES = [
    {"name": "bcm2835 Headphones: - (hw:0,0)", "index": 0, "hostapi": 0,
     "max_input_channels": 0, "max_output_channels": 8, "default_samplerate": 44100.0},
    {"name": "USB PnP Sound Device: Audio (hw:2,0)", "index": 1, "hostapi": 0,
     "max_input_channels": 1, "max_output_channels": 0, "default_samplerate": 48000.0},
    {"name": "default", "index": 2, "hostapi": 0,
     "max_input_channels": 32, "max_output_channels": 32, "default_samplerate": 44100.0},
]


def make_sounddevice(stream_clock, devices=DEVICES) -> types.ModuleType:
    """A fake `sounddevice`; `module.streams` lists every InputStream opened."""
    module = types.ModuleType("sounddevice")
    module.streams = []
    module.CallbackAbort, module.CallbackStop = CallbackAbort, CallbackStop
    module.CallbackFlags = CallbackFlags
    module.PortAudioError = PortAudioError
    module.busy = False

    def query_devices(device=None, kind=None):
        return list(devices)

    class InputStream:
        def __init__(self, samplerate=None, blocksize=None, device=None, channels=None,
                     dtype=None, latency=None, extra_settings=None, callback=None,
                     finished_callback=None, clip_off=None, dither_off=None,
                     never_drop_input=None, prime_output_buffers_using_stream_callback=None):
            self.samplerate, self.blocksize, self.device = samplerate, blocksize, device
            self.channels, self.dtype, self.callback = channels, dtype, callback
            self.active = self.closed = False
            self.aborted: BaseException | None = None
            self._buffer = np.zeros((blocksize or 960, channels or 1), np.float32)
            module.streams.append(self)

        @property
        def time(self):
            return stream_clock()

        def start(self):
            if module.busy:
                raise PortAudioError("Error starting stream: Device unavailable [-9985]")
            self.active = True

        def stop(self, ignore_errors=True):
            self.active = False

        def close(self, ignore_errors=True):
            self.closed = True

        def deliver(self, value: float, *, adc_delay: float = 0.01, adc=None, current=None,
                    overflow: bool = False):
            """One callback: the block's samples all `value`, captured `adc_delay` s ago."""
            if not self.active:
                raise RuntimeError("stream not started")
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
    module.InputStream = InputStream
    return module
