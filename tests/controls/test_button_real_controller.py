"""The button drives the real controller (simulated sources, mock pins, real time)."""

from __future__ import annotations

import time

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.pins import mock_pin_factory

from .conftest import FAST_GPIO, wait_until
from .real_appliance import start_real_appliance


@pytest.fixture
def appliance(tmp_path):
    appliance = start_real_appliance(tmp_path, gpio=FAST_GPIO)
    yield appliance
    appliance.close()


@pytest.fixture
def button(appliance):
    factory = mock_pin_factory()
    shutdowns: list[int] = []
    control = ButtonControl(
        appliance.controller,
        FAST_GPIO,
        factory,
        clock=appliance.parts.clock,
        shutdown=lambda: shutdowns.append(1),
    )
    control.shutdowns = shutdowns
    yield control
    control.close()
    factory.close()


def state(appliance) -> str:
    return appliance.controller.status()["state"]


def test_press_mark_hold_records_a_session_with_the_mark_at_the_press(appliance, button):
    clock = appliance.parts.clock
    button.pin.drive_low()
    button.pin.drive_high()
    assert wait_until(lambda: state(appliance) == "recording", timeout=3)
    time.sleep(1.0)
    pressed = clock.now()
    button.pin.drive_low()
    time.sleep(0.2)
    released = clock.now()
    button.pin.drive_high()
    assert wait_until(lambda: len(appliance.controller.status()["marks"]) == 1)
    status = appliance.controller.status()
    started = clock.now() - status["elapsed"]
    (mark,) = status["marks"]
    # Media time counts from the first frame, captured within a frame or two of the start.
    assert mark["media_time"] == pytest.approx(pressed - started, abs=0.25)
    assert mark["media_time"] < released - started - 0.15
    button.pin.drive_low()
    time.sleep(FAST_GPIO.stop_hold_seconds + 0.1)
    button.pin.drive_high()
    assert appliance.controller.wait_idle(10)
    (info,) = appliance.parts.vault.list_sessions()
    assert info.state == "complete"
    assert info.mark_count == 1
    assert button.shutdowns == []


def test_long_hold_when_idle_asks_for_shutdown_and_records_nothing(appliance, button):
    button.pin.drive_low()
    time.sleep(FAST_GPIO.shutdown_hold_seconds + 0.15)
    button.pin.drive_high()
    assert wait_until(lambda: button.shutdowns == [1])
    assert state(appliance) == "idle"
    assert appliance.parts.vault.list_sessions() == []
