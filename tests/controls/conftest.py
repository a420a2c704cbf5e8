"""Fixtures for the controls: mock pins and a fake controller."""

from __future__ import annotations

import pytest

from appliance.controls.pins import mock_pin_factory

from .fake_controller import FakeController, MonotonicTestClock


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
