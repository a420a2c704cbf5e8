"""The one button: press to start or mark, hold to stop, hold longer (idle) to shut down.

Why the logic looks the way it does:
- A mark is stamped with the moment of the press (captured in `when_pressed` on the
  controller's clock), but what a press *means* is decided at release, because until
  then it may still become a hold — and a hold is never also a press.
- gpiozero has one `hold_time`; we need two thresholds (stop, shutdown), so the button
  fires `when_held` every `HOLD_TICK_SECONDS` and we measure the hold ourselves.
- gpiozero clears `is_held` before `when_released` runs, so whether this press already
  acted is kept in our own flag, claimed under a lock so a release racing the hold
  thread can never act twice.
- A press held past the stop time that triggered nothing (e.g. 4 s while idle) is
  treated as a change of mind: nothing happens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..config import GpioConfig
from ..errors import ApplianceError
from ..sources.types import Clock

log = logging.getLogger(__name__)

#: How often the hold is measured while the button is down.
HOLD_TICK_SECONDS = 0.05
#: Contact bounce of a real button is ignored for this long (mock pins ignore it).
DEBOUNCE_SECONDS = 0.02


class ButtonControl:
    """Binds a gpiozero Button to the controller's start/mark/stop and a shutdown action."""

    def __init__(
        self,
        controller: Any,
        gpio: GpioConfig,
        pin_factory: Any,
        *,
        clock: Clock,
        shutdown: Callable[[], None],
        on_refused: Callable[[ApplianceError], None] | None = None,
    ) -> None:
        """`on_refused` lets the LEDs show that a press was refused (e.g. no recipient
        enrolled): the controller publishes no event for a refused command."""
        from gpiozero import Button

        self._controller = controller
        self._clock = clock
        self._shutdown = shutdown
        self._on_refused = on_refused
        self._stop_hold = gpio.stop_hold_seconds
        self._shutdown_hold = gpio.shutdown_hold_seconds
        self._lock = threading.Lock()
        self._pressed_at: float | None = None
        self._acted = False
        self._thresholds_seen: set[str] = set()
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
    def pin(self) -> Any:
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
        if "stop" in due and state == "recording" and self._claim() is not None:
            self._run("stop", self._controller.stop)
        elif "shutdown" in due and state == "idle" and self._claim() is not None:
            log.info("button held %.1f s while idle: shutting down", held)
            self._run("shutdown", self._shutdown)

    def _on_released(self) -> None:
        now = self._clock.now()
        pressed_at = self._claim()
        with self._lock:
            self._pressed_at = None
        if pressed_at is None:
            return
        if now - pressed_at >= self._stop_hold:
            log.info("long press that triggered nothing: ignored")
            return
        state = self._state()
        if state == "recording":
            self._run("mark", lambda: self._controller.mark(at=pressed_at))
        elif state == "idle":
            self._run("start", self._controller.start)
        else:
            log.info("button press ignored while %s", state)

    def _state(self) -> str:
        return str(self._controller.status()["state"])

    def _run(self, name: str, command: Callable[[], Any]) -> None:
        """Run a command; a refusal is logged and shown, never raised into gpiozero."""
        try:
            command()
        except ApplianceError as exc:
            log.warning("button %s refused: %s", name, exc.user_message())
            if self._on_refused is not None:
                self._on_refused(exc)
