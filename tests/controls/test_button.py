"""The button drives the controller as DESIGN.md "Controls" says, on gpiozero mock pins.

Holds are measured on a `ButtonClock`, so a press lasts exactly what the test says however
loaded the machine is; a hold is acted on at gpiozero's next hold tick, which the test waits
for (by the effect it expects, or by the hold thread's readings of the clock).
"""

from __future__ import annotations

import time

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.virtual_button import VirtualButton
from tests.support.gpio import FAST_GPIO, ButtonClock
from tests.support.waiting import wait_until

from .fake_controller import NotRecording

STOP, SHUTDOWN = FAST_GPIO.stop_hold_seconds, FAST_GPIO.shutdown_hold_seconds
#: Past a threshold for sure: 1000.3 - 1000.0 is a little under 0.3 in floating point.
OVER = 0.01


@pytest.fixture
def clock() -> ButtonClock:
    """The button's and the fake controller's time (overrides the area's real clock)."""
    return ButtonClock()


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


def press(button: ButtonControl, clock: ButtonClock, seconds: float) -> float:
    """A press shorter than a hold: down, `seconds` on the clock, up. Returns the press time."""
    assert seconds < STOP
    pressed_at = clock.now()
    button.pin.drive_low()
    clock.advance(seconds)
    button.pin.drive_high()
    return pressed_at


def hold(button: ButtonControl, clock: ButtonClock, seconds: float, acted) -> None:
    """Hold for `seconds` on the clock and release once `acted()` says the hold took effect."""
    button.pin.drive_low()
    try:
        clock.advance(seconds)
        assert wait_until(acted), "the hold was not acted on while the button was down"
    finally:
        button.pin.drive_high()


def test_press_when_idle_starts(button, controller, clock):
    press(button, clock, 0.05)
    assert controller.state == "recording"  # a press acts on release, in the releasing thread
    assert controller.commands() == ["start"]


def test_press_after_a_failed_recording_starts_afresh(button, controller, clock):
    controller.state = "error"  # the controller's state after a recording failed
    press(button, clock, 0.05)
    assert wait_until(lambda: controller.state == "recording")
    assert controller.commands() == ["start"]


def test_long_hold_after_a_failed_recording_shuts_down(button, controller, clock, shutdowns):
    controller.state = "error"
    hold(button, clock, SHUTDOWN + OVER, lambda: shutdowns == [1])
    assert controller.commands() == []


def test_press_while_recording_marks_at_the_press_not_the_release(button, controller, clock):
    controller.start()
    pressed_at = press(button, clock, 0.2)
    (name, args) = controller.calls[-1]
    assert name == "mark"
    assert args["at"] == pressed_at
    assert clock.now() - args["at"] == pytest.approx(0.2)
    assert controller.state == "recording"


def test_hold_while_recording_stops_while_held_and_is_not_a_mark(
    button, controller, clock, shutdowns
):
    controller.start()
    hold(button, clock, STOP + OVER, acted=lambda: controller.state == "idle")
    assert controller.commands() == ["start", "stop"]  # the release after it did nothing
    assert shutdowns == []


def test_a_hold_just_short_of_the_stop_time_is_a_mark(button, controller, clock):
    controller.start()
    press(button, clock, STOP - 0.001)
    assert controller.commands() == ["start", "mark"]


def test_holding_on_after_stop_does_not_shut_down(button, controller, clock, shutdowns):
    controller.start()
    button.pin.drive_low()
    try:
        clock.advance(STOP + OVER)
        assert wait_until(lambda: controller.state == "idle")
        clock.advance(SHUTDOWN - STOP + 0.2)
        # Nothing is due once the press has acted, so there is no reading to wait for:
        # give the hold thread a few ticks to (wrongly) shut down.
        assert not wait_until(lambda: shutdowns, timeout=0.2)
    finally:
        button.pin.drive_high()
    assert controller.commands() == ["start", "stop"]
    assert shutdowns == []


def test_long_hold_when_idle_shuts_down_and_is_not_a_start(button, controller, clock, shutdowns):
    hold(button, clock, SHUTDOWN + OVER, acted=lambda: shutdowns == [1])
    assert controller.commands() == []


def test_hold_between_stop_and_shutdown_when_idle_does_nothing(
    button, controller, clock, shutdowns
):
    button.pin.drive_low()
    try:
        clock.advance((STOP + SHUTDOWN) / 2)
        assert clock.wait_for_readings_elsewhere(2), "the hold thread never measured the hold"
    finally:
        button.pin.drive_high()
    assert controller.commands() == []
    assert shutdowns == []


def test_each_press_acts_once_over_a_sequence(button, controller, clock):
    press(button, clock, 0.03)  # start
    for _ in range(3):
        clock.advance(0.02)
        press(button, clock, 0.03)  # marks
    hold(button, clock, STOP + 0.1, acted=lambda: controller.state == "idle")
    assert controller.commands() == ["start", "mark", "mark", "mark", "stop"]
    ats = [args["at"] for name, args in controller.calls if name == "mark"]
    assert ats == sorted(ats) and len(set(ats)) == 3


def test_a_refused_command_leaves_the_button_working(button, controller, clock):
    controller.start()
    controller.refuse_with = NotRecording("refused for the test")
    press(button, clock, 0.03)
    assert controller.commands()[-1] == "mark"
    controller.refuse_with = None
    press(button, clock, 0.03)
    assert len(controller.marks) == 1


def test_release_racing_the_hold_thread_acts_once(button, controller, clock):
    """Releases at the stop time while the hold thread measures: a stop or nothing, never both.

    The race is between two real threads, so it is run on real ticks: each release comes
    right after the hold thread has started measuring, and the settle lets a measure still
    under way finish before the commands are read.
    """
    for _ in range(5):
        if controller.state == "idle":
            controller.start()
        before = len(controller.calls)
        button.pin.drive_low()
        clock.advance(STOP + OVER)
        assert clock.wait_for_readings_elsewhere(1)
        button.pin.drive_high()
        time.sleep(0.1)
        assert controller.commands()[before:] in (["stop"], [])


def test_virtual_button_drives_the_same_pin(button, controller, clock):
    virtual = VirtualButton(button.pin)
    virtual.press()
    virtual.release()
    assert controller.state == "recording"
    virtual.press()
    try:
        clock.advance(STOP + OVER)
        assert wait_until(lambda: controller.state == "idle")
    finally:
        virtual.release()
    assert controller.commands() == ["start", "stop"]


def test_a_refused_press_is_reported_for_the_leds(controller, pin_factory, clock):
    refusals = []
    control = ButtonControl(
        controller, FAST_GPIO, pin_factory, clock=clock, shutdown=lambda: None,
        on_refused=refusals.append,
    )  # fmt: skip
    try:
        controller.refuse_with = NotRecording("refused for the test")
        press(control, clock, 0.03)
        assert len(refusals) == 1
        assert isinstance(refusals[0], NotRecording)
    finally:
        control.close()


@pytest.fixture
def windows():
    return []


@pytest.fixture
def button_with_window(controller, pin_factory, clock, shutdowns, windows):
    control = ButtonControl(
        controller, FAST_GPIO, pin_factory, clock=clock, shutdown=lambda: shutdowns.append(1),
        open_login_window=lambda: windows.append(1),
    )  # fmt: skip
    yield control
    control.close()


BETWEEN_STOP_AND_SHUTDOWN = (FAST_GPIO.stop_hold_seconds + FAST_GPIO.shutdown_hold_seconds) / 2


def hold_between_stop_and_shutdown(button: ButtonControl, clock: ButtonClock) -> None:
    """Down, past the stop time but short of shutdown on the clock, measured, then up."""
    button.pin.drive_low()
    try:
        clock.advance(BETWEEN_STOP_AND_SHUTDOWN)
        assert clock.wait_for_readings_elsewhere(2), "the hold thread never measured the hold"
    finally:
        button.pin.drive_high()


def test_idle_hold_released_between_stop_and_shutdown_opens_the_login_window(
    button_with_window, controller, clock, shutdowns, windows
):
    hold_between_stop_and_shutdown(button_with_window, clock)
    assert wait_until(lambda: windows == [1])
    assert controller.commands() == []
    assert shutdowns == []


def test_a_press_never_opens_the_window(button_with_window, controller, clock, windows):
    press(button_with_window, clock, 0.05)
    assert controller.commands() == ["start"]
    assert windows == []


def test_a_shutdown_hold_never_opens_the_window(button_with_window, clock, shutdowns, windows):
    hold(button_with_window, clock, SHUTDOWN + OVER, lambda: shutdowns == [1])
    assert windows == []


def test_the_same_hold_while_recording_stops_and_opens_no_window(
    button_with_window, controller, clock, windows
):
    controller.start()
    hold(button_with_window, clock, BETWEEN_STOP_AND_SHUTDOWN, lambda: controller.state == "idle")
    assert controller.commands() == ["start", "stop"]
    assert windows == []
