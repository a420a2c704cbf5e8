"""The hardware edge: cameras, microphones and the clock they share (see DESIGN.md).

The simulated sources here are part of the product (`vig-appliance run --simulate`), not
test scaffolding; the Pi adapters (picamera2, sounddevice) live beside them.
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
