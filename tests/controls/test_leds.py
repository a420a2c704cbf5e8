"""The LEDs follow the controller's events (pin states read from gpiozero's mock pins)."""

from __future__ import annotations

import time

import pytest

from appliance.config import GpioConfig
from appliance.controls.leds import LedDriver, StatusLights
from appliance.events import Event
from tests.support.waiting import wait_until


@pytest.fixture
def lights(pin_factory):
    lights = StatusLights(GpioConfig(), pin_factory)
    yield lights
    lights.close()


@pytest.fixture
def driver(controller, lights, clock, stop_event):
    driver = LedDriver(controller.events, lights, clock=clock)
    thread = driver.start(stop_event)
    yield driver
    stop_event.set()
    thread.join(2)


def publish(controller, type_, **fields):
    controller.events.publish(Event(type_, time.monotonic(), fields))


def states_during(pin, seconds: float) -> list[float]:
    pin.clear_states()
    time.sleep(seconds)
    return [float(s.state) for s in pin.states]


def is_pulsing(states: list[float]) -> bool:
    return any(0.0 < s < 1.0 for s in states)


def is_blinking(states: list[float]) -> bool:
    return states.count(1.0) >= 2 and states.count(0.0) >= 2 and not is_pulsing(states)


def test_ready_pulses_green_and_red_is_off(driver, lights):
    assert wait_until(lambda: is_pulsing(states_during(lights.green.pin, 0.3)))
    assert lights.red.pin.state == 0


def test_recording_lights_red(driver, controller, lights):
    controller.start()
    assert wait_until(lambda: lights.red.pin.state == 1)
    assert lights.green.pin.state == 0
    controller.stop()
    assert wait_until(lambda: lights.red.pin.state == 0)


def test_mark_is_acknowledged_at_once_by_a_double_blink(driver, controller, lights):
    """The first step (off) is taken as the event arrives, the rest 0.1 s apart. How soon
    that is on a busy machine is a speed figure, so it is not asserted here."""
    controller.start()
    assert wait_until(lambda: lights.red.pin.state == 1)
    pin = lights.red.pin
    pin.clear_states()
    controller.mark()
    assert wait_until(lambda: len(pin.states) == 5)
    changes = list(pin.states)[1:]
    assert [bool(s.state) for s in changes] == [False, True, False, True]
    assert all(0.05 <= s.timestamp <= 0.5 for s in changes[1:])
    time.sleep(0.2)
    assert pin.state == 1


def test_exporting_blinks_green_fast_then_steady_when_safe(driver, controller, lights):
    publish(controller, "state", state="exporting")
    assert wait_until(lambda: is_blinking(states_during(lights.green.pin, 0.5)))
    publish(controller, "export", phase="safe-to-remove")
    publish(controller, "state", state="idle")
    assert wait_until(lambda: set(states_during(lights.green.pin, 0.3)) == {1.0})


def test_error_blinks_both_fast(driver, controller, lights):
    publish(controller, "state", state="error")
    assert wait_until(lambda: is_blinking(states_during(lights.red.pin, 0.5)))
    assert is_blinking(states_during(lights.green.pin, 0.5))
    publish(controller, "state", state="idle")
    assert wait_until(lambda: is_pulsing(states_during(lights.green.pin, 0.3)))
    assert wait_until(lambda: lights.red.pin.state == 0)


def test_driver_thread_ends_on_stop_event(controller, lights, clock, stop_event):
    driver = LedDriver(controller.events, lights, clock=clock)
    thread = driver.start(stop_event)
    stop_event.set()
    thread.join(2)
    assert not thread.is_alive()


def test_a_refused_press_blinks_both_then_back_to_ready(driver, lights, monkeypatch):
    monkeypatch.setattr("appliance.controls.leds.ERROR_SHOW_SECONDS", 0.6)
    driver.show_refusal()
    assert wait_until(lambda: is_blinking(states_during(lights.red.pin, 0.5)))
    assert wait_until(lambda: is_pulsing(states_during(lights.green.pin, 0.3)), timeout=3)
    assert lights.red.pin.state == 0
