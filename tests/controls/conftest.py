"""Fixtures for the controls: mock pins, a fake controller, small hold times."""

from __future__ import annotations

import threading
import time

import pytest

from appliance.config import GpioConfig
from appliance.controls.pins import mock_pin_factory

from .fake_controller import FakeController, MonotonicTestClock

#: Small holds keep the suite fast; gpiozero's hold thread measures them in real time.
FAST_GPIO = GpioConfig(stop_hold_seconds=0.3, shutdown_hold_seconds=0.6)


def wait_until(predicate, timeout: float = 2.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def pin_factory():
    factory = mock_pin_factory()
    yield factory
    factory.close()


@pytest.fixture
def clock():
    return MonotonicTestClock()


@pytest.fixture
def controller(clock):
    return FakeController(clock)


@pytest.fixture
def stop_event():
    event = threading.Event()
    yield event
    event.set()
