"""The instants at which the simulated camera flashes white and the microphone beeps.

Camera and microphone are built separately, so they agree on time only through what they
share: the clock and one `SyncSchedule`. Flash k happens at `epoch + k * period` on the
shared clock. The default epoch 0.0 is the clock's own zero, so two sources built with
default schedules on the same clock already agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import SourceSettingsError

STRIP_MODULUS = 2**32

# Frame grid points are computed as epoch + n / fps; a flash instant that is a grid point
# must count as reached even if the division rounds a hair below it.
_EPSILON = 1e-9


@dataclass(frozen=True)
class SyncSchedule:
    """Flash/beep instants and the millisecond count burnt into the time strip."""

    epoch: float = 0.0
    period: float = 5.0

    def __post_init__(self) -> None:
        if not self.period > 0:
            raise SourceSettingsError(f"the sync period must be positive, not {self.period!r}")

    def flash_index(self, t: float) -> int:
        """Index k of the last flash instant at or before `t`."""
        return math.floor((t - self.epoch) / self.period + _EPSILON)

    def flash_time(self, k: int) -> float:
        return self.epoch + k * self.period

    def next_flash(self, t: float) -> float:
        """The first flash instant at or after `t`."""
        k = math.ceil((t - self.epoch) / self.period - _EPSILON)
        return self.flash_time(k)

    def is_flash_frame(self, capture_time: float, frame_period: float) -> bool:
        """True for the first frame whose capture time is at or after a flash instant.

        A frame flashes when a flash instant lies in (previous frame, this frame]; the
        previous frame is taken one frame period earlier, so the rule also holds for the
        very first frame of a camera that starts between two flashes.
        """
        return self.flash_index(capture_time) > self.flash_index(capture_time - frame_period)

    def strip_ms(self, capture_time: float) -> int:
        """Whole milliseconds since the epoch, modulo 2**32 (49.7 days), for the strip."""
        return round((capture_time - self.epoch) * 1000) % STRIP_MODULUS
