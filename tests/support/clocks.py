"""Wall clocks for the vault's timestamps. (Time that moves only when told is the product's
own `appliance.sources.VirtualClock`: pass its `now` where a wall clock is wanted.)"""

from __future__ import annotations

import itertools

#: 2025-11-24T16:00:00Z, a plausible moment for a session to start.
WALL_START = 1_764_000_000.0


class MinutePerReadClock:
    """A wall clock one minute later at every reading, so session ids made one after the
    other are distinct and sort in the order they were made."""

    def __init__(self, start: float = WALL_START) -> None:
        self._readings = itertools.count()
        self._start = start

    def __call__(self) -> float:
        return self._start + 60.0 * next(self._readings)
