"""What the hardware edge delivers: the shapes every source and consumer agree on.

All times are seconds on the one shared monotonic timeline (CLOCK_MONOTONIC on a Pi, a
`VirtualClock` in fast tests). Sources convert their own clocks at the edge, so nothing
downstream ever sees a sensor, encoder or PortAudio timestamp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One H.264 access unit (Annex B, SPS/PPS repeated before each IDR)."""

    data: bytes
    capture_time: float
    keyframe: bool


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """A block of PCM samples; `capture_time` is when its first sample was captured."""

    samples: np.ndarray  # float32, shape (frames, channels), range -1..1
    capture_time: float
    sample_rate: int


class Clock(Protocol):
    """The shared timeline. Real time by default; virtual in fast tests."""

    def now(self) -> float: ...


class Ticker(Protocol):
    """A running `PacingClock.pace`; `skipped` counts ticks dropped for being late, and
    `error` keeps what the callback raised when it stopped the ticker."""

    skipped: int
    error: BaseException | None

    def cancel(self) -> None: ...

    @property
    def running(self) -> bool: ...


class PacingClock(Clock, Protocol):
    """A clock that can also drive a simulated source at its own rate (see `clock.py`)."""

    def pace(
        self,
        due: Callable[[int], float],
        callback: Callable[[int, float], None],
        *,
        first: int = 0,
        skip_late: bool = False,
        name: str = "pacer",
    ) -> Ticker: ...


FrameSink = Callable[[EncodedFrame], None]
AudioSink = Callable[[AudioBlock], None]


class Camera(Protocol):
    """Delivers encoded video on the shared clock, and a small preview on request."""

    width: int
    height: int
    fps: int

    def start(self, sink: FrameSink) -> None: ...
    def stop(self) -> None: ...
    def request_keyframe(self) -> None: ...
    def preview_jpeg(self) -> bytes | None: ...


class Microphone(Protocol):
    """Delivers PCM blocks on the shared clock."""

    sample_rate: int
    channels: int

    def start(self, sink: AudioSink) -> None: ...
    def stop(self) -> None: ...
