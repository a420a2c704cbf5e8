"""Two LEDs that show what the controller is doing, driven only by its events.

red: on while recording, a short double blink (off-on-off-on, first change at once) to
acknowledge a mark. green: slow pulse when ready, fast blink while exporting, steady
when the stick is safe to remove. Both fast-blinking: an error (the panel explains it).

Steady, pulse and blink patterns use gpiozero's own background threads; the mark
acknowledgement is stepped by the driver thread itself so it can start with "off" at
once (gpiozero's blink always starts with "on", invisible on a lit LED).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import GpioConfig
from ..controller.states import ERROR, EXPORTING, IDLE, RECORDING
from ..events import Event, EventBus
from ..export.progress import SAFE_TO_REMOVE

if TYPE_CHECKING:
    from gpiozero import LED, PWMLED  # gpiozero is untyped: mypy sees Any
    from gpiozero.pins import Factory

    from ..sources.types import Clock

SLOW_PULSE_SECONDS = 1.0
FAST_BLINK_SECONDS = 0.1
MARK_BLINK_STEP_SECONDS = 0.1
#: A one-off error or a refused press is shown this long; the `error` state until it ends.
ERROR_SHOW_SECONDS = 5.0
#: The export phase after which the stick may be pulled out.
SAFE_TO_REMOVE_PHASES = frozenset({SAFE_TO_REMOVE})
IDLE_POLL_SECONDS = 0.2


class StatusLights:
    """The red and green LEDs and the patterns they can show."""

    def __init__(self, gpio: GpioConfig, pin_factory: Factory | None) -> None:
        from gpiozero import LED, PWMLED

        self.red = LED(gpio.red_led, pin_factory=pin_factory)
        self.green = PWMLED(gpio.green_led, pin_factory=pin_factory)
        self._red_mode: str | None = None
        self._green_mode: str | None = None

    def set_red(self, mode: str) -> None:
        if mode != self._red_mode:
            self._red_mode = mode
            _apply(self.red, mode)

    def set_green(self, mode: str) -> None:
        if mode != self._green_mode:
            self._green_mode = mode
            _apply(self.green, mode)

    def step_red(self, on: bool) -> None:
        """One step of the mark acknowledgement (forgets the steady mode)."""
        self._red_mode = None
        if on:
            self.red.on()
        else:
            self.red.off()

    def close(self) -> None:
        self.red.close()
        self.green.close()


def _apply(led: LED | PWMLED, mode: str) -> None:
    if mode == "on":
        led.on()
    elif mode == "off":
        led.off()
    elif mode == "fast":
        led.blink(on_time=FAST_BLINK_SECONDS, off_time=FAST_BLINK_SECONDS)
    elif mode == "pulse":
        led.pulse(fade_in_time=SLOW_PULSE_SECONDS, fade_out_time=SLOW_PULSE_SECONDS)
    else:
        raise ValueError(f"unknown LED mode {mode!r}")


@dataclass
class _Condition:
    state: str = IDLE
    stick_safe: bool = False
    error_until: float = 0.0


class LedDriver:
    """Subscribes to controller events and keeps the LEDs in step with them."""

    def __init__(self, events: EventBus, lights: StatusLights, *, clock: Clock) -> None:
        self._subscription = events.subscribe(maxsize=64)
        self._lights = lights
        self._clock = clock
        self._condition = _Condition()
        self._mark_steps: list[tuple[float, bool]] = []
        self._refused = threading.Event()

    def start(self, stop_event: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.run, args=(stop_event,), name="led-driver", daemon=True
        )
        thread.start()
        return thread

    def run(self, stop_event: threading.Event) -> None:
        try:
            self._render()
            while not stop_event.is_set():
                event = self._subscription.get(timeout=self._wait_time())
                if event is not None:
                    self.handle(event)
                if self._refused.is_set():
                    self._refused.clear()
                    self._condition.error_until = self._clock.now() + ERROR_SHOW_SECONDS
                self._run_due_steps()
                self._render()
        finally:
            self._subscription.close()

    def show_refusal(self, error: object = None) -> None:
        """Blink both LEDs for a while: a button press was refused (safe from any thread)."""
        self._refused.set()

    def handle(self, event: Event) -> None:
        cond = self._condition
        if event.type == "state":
            cond.state = str(event.fields.get("state", cond.state))
            if cond.state in (RECORDING, EXPORTING):
                cond.stick_safe = False
        elif event.type == "export":
            cond.stick_safe = event.fields.get("phase") in SAFE_TO_REMOVE_PHASES
        elif event.type == "error":
            cond.error_until = self._clock.now() + ERROR_SHOW_SECONDS
        elif event.type == "mark" and cond.state == RECORDING:
            now = self._clock.now()
            self._mark_steps = [(now + i * MARK_BLINK_STEP_SECONDS, i % 2 == 1) for i in range(4)]
            self._run_due_steps()

    def _wait_time(self) -> float:
        if self._mark_steps:
            return max(0.0, self._mark_steps[0][0] - self._clock.now())
        return IDLE_POLL_SECONDS

    def _run_due_steps(self) -> None:
        now = self._clock.now()
        while self._mark_steps and self._mark_steps[0][0] <= now:
            _, on = self._mark_steps.pop(0)
            if self._condition.state == RECORDING:
                self._lights.step_red(on)

    def _render(self) -> None:
        cond = self._condition
        if cond.state == ERROR or self._clock.now() < cond.error_until:
            self._mark_steps = []
            self._lights.set_red("fast")
            self._lights.set_green("fast")
            return
        if not self._mark_steps:
            self._lights.set_red("on" if cond.state == RECORDING else "off")
        if cond.state == EXPORTING:
            self._lights.set_green("fast")
        elif cond.stick_safe:
            self._lights.set_green("on")
        elif cond.state == IDLE:
            self._lights.set_green("pulse")
        else:
            self._lights.set_green("off")
