"""The hardware edge: cameras, microphones and the clock they share (see DESIGN.md).

The simulated sources here are part of the product (`vig-appliance run --simulate`), not
test scaffolding; the Pi adapters (picamera2, sounddevice) live beside them.

Timing conventions every consumer may rely on:
- All times are seconds on the shared clock (`MonotonicClock` or `VirtualClock`).
- `SyncSchedule(epoch=0.0, period=5.0)` by default: sync instants at the clock's own
  multiples of 5 s, so sources built separately on one clock agree without wiring.
- `SyntheticCamera` captures frame n at `epoch + n / fps`; the first frame at or after
  each sync instant is white below the strip; the strip holds
  `round((capture_time - epoch) * 1000) mod 2**32`.
- `SyntheticMicrophone` beeps (1 kHz, 100 ms) from the first sample whose true time is
  at or after each sync instant; `AudioBlock.capture_time` is its first sample's true time.
"""

from .clock import MonotonicClock, ThreadTicker, VirtualClock, VirtualTicker
from .errors import (
    ClockError,
    ReplayFileError,
    SourceError,
    SourceSettingsError,
    SourceStateError,
    StripUnreadable,
)
from .replay_camera import ReplayCamera, make_replay_file
from .strip import decode_strip, draw_strip
from .sync import SyncSchedule
from .synthetic_camera import SyntheticCamera
from .synthetic_microphone import SyntheticMicrophone
from .types import (
    AudioBlock,
    AudioSink,
    Camera,
    Clock,
    EncodedFrame,
    FrameSink,
    Microphone,
    PacingClock,
    Ticker,
)

__all__ = [
    "AudioBlock",
    "AudioSink",
    "Camera",
    "Clock",
    "ClockError",
    "EncodedFrame",
    "FrameSink",
    "Microphone",
    "MonotonicClock",
    "PacingClock",
    "ReplayCamera",
    "ReplayFileError",
    "SourceError",
    "SourceSettingsError",
    "SourceStateError",
    "StripUnreadable",
    "SyncSchedule",
    "SyntheticCamera",
    "SyntheticMicrophone",
    "ThreadTicker",
    "Ticker",
    "VirtualClock",
    "VirtualTicker",
    "decode_strip",
    "draw_strip",
    "make_replay_file",
]
