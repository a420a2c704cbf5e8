"""The one button: press to start or mark, hold to stop, hold longer (idle) to shut down.

While idle, a hold past the stop time released before the shutdown time (3 to 5 s with
the default config) opens the panel's login window for a new phone (panel/login_window):
today that hold did nothing, so it can be neither a start (a press shorter than the stop
time), nor a stop (only while recording), nor a shutdown (5 s or more).

Why the logic looks the way it does:
- A mark is stamped with the moment of the press (captured in `when_pressed` on the
  controller's clock), but what a press *means* is decided at release, because until
  then it may still become a hold — and a hold is never also a press.
- gpiozero has one `hold_time`; we need two thresholds (stop, shutdown), so the button
  fires `when_held` every `HOLD_TICK_SECONDS` and we measure the hold ourselves.
- gpiozero clears `is_held` before `when_released` runs, so whether this press already
  acted is kept in our own flag, claimed under a lock so a release racing the hold
  thread can never act twice.
- A press held past the stop time that triggered nothing and was not idle when the stop
  time passed (e.g. 4 s while exporting) is treated as a change of mind: nothing happens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config import GpioConfig
from ..controller.states import RECORDING, SETTLED
from ..errors import ApplianceError
from ..sources.types import Clock

if TYPE_CHECKING:
    from gpiozero.pins import Factory, Pin  # gpiozero is untyped: mypy sees Any

    from ..controller import ControllerApi

log = logging.getLogger(__name__)

#: How often the hold is measured while the button is down.
HOLD_TICK_SECONDS = 0.05
#: Contact bounce of a real button is ignored for this long (mock pins ignore it).
DEBOUNCE_SECONDS = 0.02


class ButtonControl:
    """Binds a gpiozero Button to the controller's start/mark/stop and a shutdown action."""

    def __init__(
        self,
        controller: ControllerApi,
        gpio: GpioConfig,
        pin_factory: Factory | None,
        *,
        clock: Clock,
        shutdown: Callable[[], None],
        on_refused: Callable[[ApplianceError], None] | None = None,
        open_login_window: Callable[[], None] | None = None,
    ) -> None:
        """`on_refused` lets the LEDs show that a press was refused (e.g. no recipient
        enrolled): the controller publishes no event for a refused command.
        `open_login_window` is what the idle 3-to-5-s hold does (none: nothing)."""
        from gpiozero import Button

        self._controller = controller
        self._clock = clock
        self._shutdown = shutdown
        self._on_refused = on_refused
        self._open_login_window = open_login_window
        self._stop_hold = gpio.stop_hold_seconds
        self._shutdown_hold = gpio.shutdown_hold_seconds
        self._lock = threading.Lock()
        self._pressed_at: float | None = None
        self._acted = False
        self._thresholds_seen: set[str] = set()
        self._idle_at_stop_time = False
        self._button = Button(
            gpio.button,
            pull_up=True,
            bounce_time=DEBOUNCE_SECONDS,
            hold_time=HOLD_TICK_SECONDS,
            hold_repeat=True,
            pin_factory=pin_factory,
        )
        self._button.when_pressed = self._on_pressed
        self._button.when_held = self._on_held
        self._button.when_released = self._on_released

    @property
    def pin(self) -> Pin:
        """The underlying pin (a MockPin in simulation, driven by the virtual button)."""
        return self._button.pin

    def close(self) -> None:
        self._button.close()

    def _on_pressed(self) -> None:
        now = self._clock.now()
        with self._lock:
            self._pressed_at = now
            self._acted = False
            self._thresholds_seen = set()
            self._idle_at_stop_time = False

    def _claim(self) -> float | None:
        """Mark this press as used up; the press time, or None if it already acted."""
        with self._lock:
            if self._acted or self._pressed_at is None:
                return None
            self._acted = True
            return self._pressed_at

    def _on_held(self) -> None:
        """Act once per threshold crossed, asking the controller's state only then."""
        with self._lock:
            if self._acted or self._pressed_at is None:
                return
            held = self._clock.now() - self._pressed_at
            due = [
                name
                for name, seconds in (("stop", self._stop_hold), ("shutdown", self._shutdown_hold))
                if held >= seconds and name not in self._thresholds_seen
            ]
            self._thresholds_seen.update(due)
        if not due:
            return
        state = self._state()
        if "stop" in due and state in SETTLED:
            with self._lock:
                self._idle_at_stop_time = True
        if "stop" in due and state == RECORDING and self._claim() is not None:
            self._run("stop", self._controller.stop)
        elif "shutdown" in due and state in SETTLED and self._claim() is not None:
            log.info("button held %.1f s while %s: shutting down", held, state)
            self._run("shutdown", self._shutdown)

    def _on_released(self) -> None:
        now = self._clock.now()
        pressed_at = self._claim()
        with self._lock:
            self._pressed_at = None
        if pressed_at is None:
            return
        if now - pressed_at >= self._stop_hold:
            self._long_press_released()
            return
        state = self._state()
        if state == RECORDING:
            self._run("mark", lambda: self._controller.mark(at=pressed_at))
        elif state in SETTLED:  # after an error, a press starts afresh
            self._run("start", self._controller.start)
        else:
            log.info("button press ignored while %s", state)

    def _long_press_released(self) -> None:
        """Idle when the stop time passed, and let go before the shutdown: the login window."""
        with self._lock:
            idle_at_stop_time = self._idle_at_stop_time
        if self._open_login_window is None or not idle_at_stop_time or self._state() not in SETTLED:
            log.info("long press that triggered nothing: ignored")
            return
        log.info("button held past %.1f s while idle: login window opened", self._stop_hold)
        self._open_login_window()

    def _state(self) -> str:
        return str(self._controller.status()["state"])

    def _run(self, name: str, command: Callable[[], object]) -> None:
        """Run a command; a refusal is logged and shown, never raised into gpiozero."""
        try:
            command()
        except ApplianceError as exc:
            log.warning("button %s refused: %s", name, exc.user_message())
            if self._on_refused is not None:
                self._on_refused(exc)
