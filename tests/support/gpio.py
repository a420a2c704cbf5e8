"""The button under test: its timing, and a clock that makes its holds exact.

The button measures a hold on the clock it is given, but acts on a hold only when gpiozero's
hold thread looks (every `HOLD_TICK_SECONDS` of real time while the pin is down). A test that
holds with `time.sleep` therefore races the machine's load: a 0.2 s press becomes a 0.3 s
hold when the test thread is late to release it. On a `ButtonClock` a press lasts exactly as
long as the test advances the clock, and the test waits for the hold thread, not for time.
"""

from __future__ import annotations

import threading

from appliance.config import GpioConfig
from appliance.sources import VirtualClock
from appliance.sources.types import Clock

#: Short holds keep the suite fast, and keep bench/ and the real-time tests light.
FAST_GPIO = GpioConfig(stop_hold_seconds=0.3, shutdown_hold_seconds=0.6)


class ButtonClock(VirtualClock):
    """Virtual time for a button, which also counts the readings made by other threads
    (gpiozero's hold thread: presses and releases run on the thread that drives the pin)."""

    def __init__(self, start: float = 1000.0) -> None:
        super().__init__(start)
        self._test_thread = threading.current_thread()
        self._readings_elsewhere = 0
        self._read = threading.Condition()

    def now(self) -> float:
        if threading.current_thread() is not self._test_thread:
            with self._read:
                self._readings_elsewhere += 1
                self._read.notify_all()
        return super().now()

    def run_until(self, until: float) -> None:
        with self._read:
            self._readings_elsewhere = 0
        super().run_until(until)

    def catch_up_with(self, clock: Clock) -> None:
        """Bring this clock level with `clock` (unless a press has taken it ahead), so the
        next press is stamped on that clock's timeline."""
        self.run_until(max(self.now(), clock.now()))

    def wait_for_readings_elsewhere(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until other threads have read the clock `count` times since the last advance.

        The hold thread reads it once each time it measures a hold that has not acted yet
        (and the fake controller once more, when asked its state while recording), so two
        readings while idle mean a measure at the current time has run to its end.
        """
        with self._read:
            return self._read.wait_for(lambda: self._readings_elsewhere >= count, timeout)
