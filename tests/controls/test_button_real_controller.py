"""The button drives the real controller (simulated sources, mock pins, real time).

The recording runs on real time; the button's presses are measured on a `ButtonClock` that
the test brings level with the appliance's clock before each press, so a press is stamped
on the appliance's timeline yet lasts exactly what the test says.
"""

from __future__ import annotations

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.pins import mock_pin_factory
from tests.support.gpio import FAST_GPIO, ButtonClock
from tests.support.real_appliance import start_real_appliance
from tests.support.waiting import wait_until


@pytest.fixture
def appliance(tmp_path):
    appliance = start_real_appliance(tmp_path, gpio=FAST_GPIO)
    yield appliance
    appliance.close()


@pytest.fixture
def button_clock(appliance) -> ButtonClock:
    return ButtonClock(appliance.parts.clock.now())


@pytest.fixture
def button(appliance, button_clock):
    factory = mock_pin_factory()
    shutdowns: list[int] = []
    control = ButtonControl(
        appliance.controller,
        FAST_GPIO,
        factory,
        clock=button_clock,
        shutdown=lambda: shutdowns.append(1),
    )
    control.shutdowns = shutdowns
    yield control
    control.close()
    factory.close()


def state(appliance) -> str:
    return appliance.controller.status()["state"]


def test_press_mark_hold_records_a_session_with_the_mark_at_the_press(
    appliance, button, button_clock
):
    clock = appliance.parts.clock
    button_clock.catch_up_with(clock)
    button.pin.drive_low()
    button.pin.drive_high()
    assert state(appliance) == "recording"  # started on release, in the releasing thread
    assert wait_until(lambda: appliance.controller.status()["elapsed"] >= 1.0, timeout=10)
    button_clock.catch_up_with(clock)
    pressed = button_clock.now()
    button.pin.drive_low()
    button_clock.advance(0.2)
    button.pin.drive_high()
    status = appliance.controller.status()
    started = clock.now() - status["elapsed"]
    # Media time counts from the first frame, which a loaded machine delivers late; a mark
    # stamped at the release tells the press from the release whatever that delay was.
    at_release = appliance.controller.mark(at=pressed + 0.2)
    (mark,) = status["marks"]
    assert at_release["media_time"] - mark["media_time"] == pytest.approx(0.2, abs=1e-3)
    assert 0 < mark["media_time"] <= pressed - started + 1e-3
    button_clock.catch_up_with(clock)
    button.pin.drive_low()
    try:
        button_clock.advance(FAST_GPIO.stop_hold_seconds + 0.01)
        assert wait_until(lambda: state(appliance) != "recording")
    finally:
        button.pin.drive_high()
    assert appliance.controller.wait_idle(10)
    (info,) = appliance.parts.vault.list_sessions()
    assert info.state == "complete"
    assert info.mark_count == 2
    assert button.shutdowns == []


def test_long_hold_when_idle_asks_for_shutdown_and_records_nothing(
    appliance, button, button_clock
):
    button.pin.drive_low()
    try:
        button_clock.advance(FAST_GPIO.shutdown_hold_seconds + 0.01)
        assert wait_until(lambda: button.shutdowns == [1])
    finally:
        button.pin.drive_high()
    assert state(appliance) == "idle"
    assert appliance.parts.vault.list_sessions() == []
