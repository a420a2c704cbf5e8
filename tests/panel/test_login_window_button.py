"""The whole appliance: the idle 3-to-5-s button hold opens the panel's login window."""

from __future__ import annotations

import time
import urllib.request

import pytest

from appliance.assembly import build_parts
from appliance.config import Config
from appliance.panel.pin_store import PinStore, panel_files
from appliance.runtime import Runtime
from appliance.sd_notify import SystemdNotifier
from tests.support.gpio import FAST_GPIO
from tests.support.waiting import wait_until

from .conftest import PIN


@pytest.fixture
def runtime(tmp_path):
    data_dir = tmp_path / "data"
    config = Config(data_dir=str(data_dir), gpio=FAST_GPIO)
    parts = build_parts(config, data_dir, simulate=True, usb_dir=tmp_path / "usb")
    PinStore(panel_files(data_dir)[0]).set(PIN)
    running = Runtime(parts, host="127.0.0.1", port=0, notifier=SystemdNotifier({}))
    running.start()
    yield running
    running.stop()


def login_page(runtime: Runtime) -> str:
    return urllib.request.urlopen(runtime.url + "login", timeout=10).read().decode()


def test_an_idle_hold_between_stop_and_shutdown_opens_the_window_and_is_audited(runtime):
    assert "login window is open" not in login_page(runtime)
    pin = runtime.button.pin
    pin.drive_low()
    time.sleep((FAST_GPIO.stop_hold_seconds + FAST_GPIO.shutdown_hold_seconds) / 2)
    pin.drive_high()
    assert wait_until(lambda: runtime.login_guard.window.seconds_left() > 100)
    assert "login window is open" in login_page(runtime)
    events = [entry["event"] for entry in runtime.parts.vault.audit.entries()]
    assert "panel.login_window_opened" in events
    assert runtime.parts.controller.status()["state"] == "idle"
    assert not runtime.stop_event.is_set()  # no shutdown
