"""Choose the GPIO pin factory in one place: lgpio on the board, or gpiozero's mock in simulation.

gpiozero is imported lazily so the package imports on any machine.

On the board the factory is gpiozero's LGPIOFactory, opened on `gpio.chip` (None lets
gpiozero choose: gpiochip4 on a Pi 5 with an older kernel, else gpiochip0). gpiozero asks
the Pi's revision for every pin, to map BCM numbers onto the header, and raises
PinUnknownPi on a board that reports none (plain Debian, the virtual Pi). Only then is
`gpio.board_revision` used, which install.sh writes on such a machine; a real Pi's own
revision always wins.

In simulation the mock pins support PWM (the green LED pulses) and keep only a bounded
history of states, because a pulsing LED changes state 50 times a second and
`MockPin.states` is a list that would otherwise grow for as long as the simulated
appliance runs.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from ..config import GpioConfig
from ..errors import ApplianceError

if TYPE_CHECKING:  # gpiozero is untyped: these names document, mypy sees Any
    from gpiozero.pins import Factory

#: How many past states a simulated pin remembers (tests read the recent ones).
MOCK_STATE_HISTORY = 4096


class BoardUnknown(ApplianceError, LookupError):
    """This board reports no Raspberry Pi revision, and the config names none."""

    code = "board_unknown"
    hint = (
        'On a machine that is not a Pi, set [gpio] board_revision (like "c03114", a Pi 4), '
        "as install.sh does."
    )


def mock_pin_factory() -> Factory:
    """A MockFactory to pass to every gpiozero device in simulation."""
    from gpiozero.pins.mock import MockFactory

    return MockFactory(pin_class=_bounded_mock_pin_class())


def board_pin_factory(gpio: GpioConfig) -> Factory:
    """lgpio's factory on the configured chip, with the configured revision as a fallback."""
    return _board_factory_class()(gpio)


def board_revision(text: str) -> int | None:
    """The configured revision as gpiozero wants it (hex, like /proc/cpuinfo); None if unset."""
    if not text:
        return None
    try:
        return int(text, 16)
    except ValueError:
        raise BoardUnknown(
            f"[gpio] board_revision {text!r} is not a Pi revision code in hex, like c03114"
        ) from None


def _board_factory_class() -> type:
    from gpiozero.exc import PinUnknownPi
    from gpiozero.pins.lgpio import LGPIOFactory

    class BoardFactory(LGPIOFactory):
        """LGPIOFactory on the configured chip, with the configured revision as a fallback."""

        def __init__(self, gpio: GpioConfig) -> None:
            self._fallback_revision = board_revision(gpio.board_revision)
            super().__init__(chip=gpio.chip)

        def _get_revision(self) -> int:
            try:
                return super()._get_revision()
            except PinUnknownPi as exc:
                if self._fallback_revision is None:
                    raise BoardUnknown(str(exc)) from exc
                return self._fallback_revision

    return BoardFactory


def _bounded_mock_pin_class() -> type:
    from gpiozero.pins.mock import MockPWMPin, PinState

    class BoundedMockPWMPin(MockPWMPin):
        """A mock PWM pin whose state history is a bounded deque instead of a list."""

        def clear_states(self) -> None:
            super().clear_states()
            self.states = deque([PinState(0.0, self._state)], maxlen=MOCK_STATE_HISTORY)

    return BoundedMockPWMPin
