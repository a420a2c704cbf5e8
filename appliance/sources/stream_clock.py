"""Putting PortAudio's stream-clock times on the shared monotonic clock, across clock jumps.

PortAudio stamps each input buffer (`inputBufferAdcTime`) on its stream clock, which on
Linux follows CLOCK_REALTIME: it jumps when the time is set (from the phone, by NTP, by
the RTC at boot). The offset between that clock and the shared clock is therefore measured
at every callback, from `currentTime` (stream clock) against `clock.now()` read at once.

The measured offset only errs late (the callback may be scheduled a little after PortAudio
read its clock), so the estimate is the minimum over a short window. A measurement far
from the estimate is either a stalled callback or a real jump; it is believed only once a
second measurement agrees with it, and until then the caller continues from the sample
count instead (see `SounddeviceMicrophone`).
"""

from __future__ import annotations

from collections import deque

#: Offsets further apart than this (s) are a jump or a stall, not jitter.
JUMP_THRESHOLD = 0.05
#: Callbacks the minimum is taken over (about 1.3 s of 20 ms blocks).
WINDOW = 64


class StreamClockTracker:
    """Tracks shared-clock minus stream-clock seconds; `jumps` counts re-anchorings."""

    def __init__(self, jump_threshold: float = JUMP_THRESHOLD, window: int = WINDOW) -> None:
        self.jump_threshold = jump_threshold
        self._recent: deque[float] = deque(maxlen=window)
        self._candidate: float | None = None
        self.offset: float | None = None
        self.jumps = 0

    def observe(self, stream_now: float, shared_now: float) -> bool:
        """Record one measurement; False while it disagrees with the estimate unconfirmed."""
        measured = shared_now - stream_now
        if self.offset is None or abs(measured - self.offset) <= self.jump_threshold:
            self._accept(measured)
            return True
        if self._candidate is not None and abs(measured - self._candidate) <= self.jump_threshold:
            self._recent.clear()
            self._accept(self._candidate)
            self._accept(measured)
            self.jumps += 1
            return True
        self._candidate = measured
        return False

    def _accept(self, measured: float) -> None:
        self._recent.append(measured)
        self._candidate = None
        self.offset = min(self._recent)

    def to_shared(self, stream_time: float) -> float:
        if self.offset is None:
            raise ValueError("no stream-clock measurement yet")
        return stream_time + self.offset
