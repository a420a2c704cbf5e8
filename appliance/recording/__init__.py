"""Recording box of the design: frames and sound in, durable fragmented MP4 parts and clips out.

See DESIGN.md ("The data flows one way", "Encryption") and `recorder.py` for the why.
"""

from .boxes import TopLevelBoxTracker, free_box
from .clips import ClipCutter, ClipInfo
from .durable_sink import DurableSink, PartSink
from .errors import (
    MalformedBoxStream,
    NoKeyframeYet,
    RecorderStopped,
    RecordingError,
    RecordingFailed,
)
from .muxer import FragmentedMuxer, MediaFormat
from .part import PartSummary
from .recorder import Recorder, RecordingSession
from .resampler import PictureClockResampler

__all__ = [
    "ClipCutter",
    "ClipInfo",
    "DurableSink",
    "FragmentedMuxer",
    "MalformedBoxStream",
    "MediaFormat",
    "NoKeyframeYet",
    "PartSink",
    "PartSummary",
    "PictureClockResampler",
    "Recorder",
    "RecorderStopped",
    "RecordingError",
    "RecordingFailed",
    "RecordingSession",
    "TopLevelBoxTracker",
    "free_box",
]
