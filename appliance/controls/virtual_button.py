"""The simulated button: the panel presses and releases the mock pin as a finger would."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # gpiozero is untyped: the name documents, mypy sees Any
    from gpiozero.pins.mock import MockPin


class VirtualButton:
    """Drives a gpiozero MockPin wired like the real button (pull-up, pressed = low)."""

    def __init__(self, pin: MockPin) -> None:
        self._pin = pin
        self._lock = threading.Lock()

    def press(self) -> None:
        with self._lock:
            self._pin.drive_low()

    def release(self) -> None:
        with self._lock:
            self._pin.drive_high()
