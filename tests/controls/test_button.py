"""The button drives the controller as DESIGN.md "Controls" says, on gpiozero mock pins."""

from __future__ import annotations

import threading
import time

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.virtual_button import VirtualButton

from .conftest import FAST_GPIO, wait_until
from .fake_controller import NotRecording


@pytest.fixture
def shutdowns():
    return []


@pytest.fixture
def button(controller, pin_factory, clock, shutdowns):
    control = ButtonControl(
        controller, FAST_GPIO, pin_factory, clock=clock, shutdown=lambda: shutdowns.append(1)
    )
    yield control
    control.close()


def press_for(button: ButtonControl, seconds: float) -> tuple[float, float]:
    """Press, hold, release; returns the clock just before and just after the press."""
    before = time.monotonic()
    button.pin.drive_low()
    after = time.monotonic()
    time.sleep(seconds)
    button.pin.drive_high()
    return before, after


def test_press_when_idle_starts(button, controller):
    press_for(button, 0.05)
    assert wait_until(lambda: controller.state == "recording")
    assert controller.commands() == ["start"]


def test_press_after_a_failed_recording_starts_afresh(button, controller):
    controller.state = "error"  # the controller's state after a recording failed
    press_for(button, 0.05)
    assert wait_until(lambda: controller.state == "recording")
    assert controller.commands() == ["start"]


def test_long_hold_after_a_failed_recording_shuts_down(button, controller, shutdowns):
    controller.state = "error"
    press_for(button, FAST_GPIO.shutdown_hold_seconds + 0.1)
    assert wait_until(lambda: shutdowns == [1])
    assert controller.commands() == []


def test_press_while_recording_marks_at_the_press_not_the_release(button, controller):
    controller.start()
    before, after = press_for(button, 0.2)
    released = time.monotonic()
    assert wait_until(lambda: len(controller.marks) == 1)
    (name, args) = controller.calls[-1]
    assert name == "mark"
    assert before <= args["at"] <= after
    assert released - args["at"] >= 0.19
    assert controller.state == "recording"


def test_hold_while_recording_stops_and_is_not_a_mark(button, controller, shutdowns):
    controller.start()
    press_for(button, FAST_GPIO.stop_hold_seconds + 0.15)
    assert wait_until(lambda: controller.state == "idle")
    time.sleep(0.1)
    assert controller.commands() == ["start", "stop"]
    assert shutdowns == []


def test_stop_happens_while_still_held(button, controller):
    controller.start()
    button.pin.drive_low()
    try:
        assert wait_until(lambda: controller.state == "idle", timeout=1.0)
    finally:
        button.pin.drive_high()
    assert controller.commands() == ["start", "stop"]


def test_holding_on_after_stop_does_not_shut_down(button, controller, shutdowns):
    controller.start()
    press_for(button, FAST_GPIO.shutdown_hold_seconds + 0.2)
    time.sleep(0.1)
    assert controller.commands() == ["start", "stop"]
    assert shutdowns == []


def test_long_hold_when_idle_shuts_down_and_is_not_a_start(button, controller, shutdowns):
    press_for(button, FAST_GPIO.shutdown_hold_seconds + 0.15)
    assert wait_until(lambda: shutdowns == [1])
    time.sleep(0.1)
    assert controller.commands() == []


def test_hold_between_stop_and_shutdown_when_idle_does_nothing(button, controller, shutdowns):
    press_for(button, (FAST_GPIO.stop_hold_seconds + FAST_GPIO.shutdown_hold_seconds) / 2)
    time.sleep(0.15)
    assert controller.commands() == []
    assert shutdowns == []


def test_each_press_acts_once_over_a_sequence(button, controller):
    press_for(button, 0.03)  # start
    assert wait_until(lambda: controller.state == "recording")
    for _ in range(3):
        time.sleep(0.02)
        press_for(button, 0.03)  # marks
    assert wait_until(lambda: len(controller.marks) == 3)
    press_for(button, FAST_GPIO.stop_hold_seconds + 0.1)  # stop
    assert wait_until(lambda: controller.state == "idle")
    assert controller.commands() == ["start", "mark", "mark", "mark", "stop"]
    ats = [args["at"] for name, args in controller.calls if name == "mark"]
    assert ats == sorted(ats) and len(set(ats)) == 3


def test_a_refused_command_leaves_the_button_working(button, controller):
    controller.start()
    controller.refuse_with = NotRecording("refused for the test")
    press_for(button, 0.03)
    assert wait_until(lambda: controller.commands()[-1] == "mark")
    controller.refuse_with = None
    press_for(button, 0.03)
    assert wait_until(lambda: len(controller.marks) == 1)


def test_release_racing_the_hold_thread_acts_once(button, controller):
    """Releases right at the stop threshold: either a mark or a stop, never both."""
    for _ in range(5):
        if controller.state == "idle":
            controller.start()
        before = len(controller.calls)
        press_for(button, FAST_GPIO.stop_hold_seconds - 0.005)
        time.sleep(0.1)
        acted = controller.commands()[before:]
        assert acted in (["mark"], ["stop"], [])


def test_virtual_button_drives_the_same_pin(button, controller):
    virtual = VirtualButton(button.pin)
    virtual.press()
    virtual.release()
    assert wait_until(lambda: controller.state == "recording")
    threading.Event().wait(0.02)
    virtual.press()
    time.sleep(FAST_GPIO.stop_hold_seconds + 0.1)
    virtual.release()
    assert wait_until(lambda: controller.state == "idle")
    assert controller.commands() == ["start", "stop"]


def test_a_refused_press_is_reported_for_the_leds(controller, pin_factory, clock):
    refusals = []
    control = ButtonControl(
        controller, FAST_GPIO, pin_factory, clock=clock, shutdown=lambda: None,
        on_refused=refusals.append,
    )  # fmt: skip
    try:
        controller.refuse_with = NotRecording("refused for the test")
        press_for(control, 0.03)
        assert wait_until(lambda: len(refusals) == 1)
        assert isinstance(refusals[0], NotRecording)
    finally:
        control.close()
