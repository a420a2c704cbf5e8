"""The button and the red LED on gpio-sim lines, through the unit's DeviceAllow and the gpio group.

The simulator's side of line 17 plays the button (pulled low = pressed, as a button to
ground does against the pin's pull-up); line 27 is read back to see the red LED.
"""

from __future__ import annotations

from .machine import VirtualPi

BUTTON, RED_LED = 17, 27


def press(vpi: VirtualPi, seconds: float) -> None:
    line = f"/sys/devices/platform/gpio-sim.0/gpiochip0/sim_gpio{BUTTON}/pull"
    vpi.shell(f"echo pull-down > {line}; sleep {seconds}; echo pull-up > {line}")


def recording(vpi: VirtualPi) -> list[dict]:
    return [s for s in vpi.sessions() if s["state"] == "recording"]


def test_press_starts_press_marks_and_a_3_s_hold_stops(vpi: VirtualPi):
    before = {s["id"] for s in vpi.sessions()}
    assert vpi.read_line(BUTTON) == 1, "the button line should idle high (its pull-up)"
    press(vpi, 0.3)
    session = vpi.wait_until("a session recording after a press", lambda: recording(vpi), 90)[0]
    assert session["id"] not in before
    assert vpi.wait_until("the red LED on", lambda: vpi.read_line(RED_LED) == 1, 30)
    press(vpi, 0.3)
    vpi.wait_until("a mark after the second press",
                   lambda: recording(vpi) and recording(vpi)[0]["mark_count"] >= 1, 60)
    press(vpi, 4.0)
    def completed() -> list[dict]:
        return [s for s in vpi.sessions() if s["id"] == session["id"] and s["state"] == "complete"]

    done = vpi.wait_until("the session complete after a 3 s hold", completed, 120)[0]
    assert done["mark_count"] == 1
    assert vpi.wait_until("the red LED off", lambda: vpi.read_line(RED_LED) == 0, 30)
