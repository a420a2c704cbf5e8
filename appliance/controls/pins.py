"""gpiozero's mock pin factory, the simulated twin of the Pi's pins.

`assembly` chooses between the two: on a Pi it passes `None`, which lets gpiozero pick its
default factory (lgpio on current Raspberry Pi OS). gpiozero is imported lazily so the
package imports on any machine. The mock pins support PWM (the green LED pulses) and keep
only a bounded history of states, because a pulsing LED changes state 50 times a second
and `MockPin.states` is a list that would otherwise grow for as long as the simulated
appliance runs.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # gpiozero is untyped: these names document, mypy sees Any
    from gpiozero.pins import Factory

#: How many past states a simulated pin remembers (tests read the recent ones).
MOCK_STATE_HISTORY = 4096


def mock_pin_factory() -> Factory:
    """A MockFactory to pass to every gpiozero device in simulation."""
    from gpiozero.pins.mock import MockFactory

    return MockFactory(pin_class=_bounded_mock_pin_class())


def _bounded_mock_pin_class() -> type:
    from gpiozero.pins.mock import MockPWMPin, PinState

    class BoundedMockPWMPin(MockPWMPin):
        """A mock PWM pin whose state history is a bounded deque instead of a list."""

        def clear_states(self) -> None:
            super().clear_states()
            self.states = deque([PinState(0.0, self._state)], maxlen=MOCK_STATE_HISTORY)

    return BoundedMockPWMPin
