"""The button's timing for tests that press it through gpiozero's mock pins."""

from __future__ import annotations

from appliance.config import GpioConfig

#: Short holds keep the suite fast. Holds are measured on the clock the button is given, but
#: gpiozero's hold thread looks at the pin in real time, every HOLD_TICK_SECONDS.
FAST_GPIO = GpioConfig(stop_hold_seconds=0.3, shutdown_hold_seconds=0.6)
