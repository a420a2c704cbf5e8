"""Fixtures for the panel: an app built from parts passed in, a test client, a login."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator

import pytest

from appliance.config import Config
from appliance.panel.app import create_app
from appliance.panel.device_clock import SimulatedDeviceClock
from appliance.panel.health import SimulatedHealth
from appliance.panel.pin_store import PinStore, panel_files
from appliance.panel.server import PanelServer, serve_panel
from appliance.vault.audit import check_fields
from tests.controls.fake_controller import FakeController

PIN = "246810"


class ManualClock:
    """Stands in for the uptime clock of the login (time.monotonic and the boot id), so
    lockouts need no waiting and a test can reboot the device."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.boot = "boot-1"

    def __call__(self) -> float:
        return self.now

    def boot_id(self) -> str:
        return self.boot

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def reboot(self, uptime_s: float = 30.0) -> None:
        self.boot = f"{self.boot}+"
        self.now = uptime_s


def checked(fields: dict) -> dict:
    """What the panel audits passes the audit log's own check (no phone's address)."""
    check_fields(fields)
    return fields


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def pin_store(data_dir):
    store = PinStore(panel_files(data_dir)[0])
    store.set(PIN)
    return store


@pytest.fixture
def controller():
    return FakeController()


@pytest.fixture
def audit_events():
    return []


@pytest.fixture
def login_clock() -> ManualClock:
    """The login's time moves only when the test advances it: no waiting out a lockout."""
    return ManualClock()


@pytest.fixture
def device_clock():
    return SimulatedDeviceClock(trusted=False)


@pytest.fixture
def make_app(data_dir, controller, pin_store, audit_events, login_clock, device_clock, stop_event):
    def make(config: Config | None = None, **overrides):
        kwargs = dict(
            pin_store=pin_store,
            secret_path=panel_files(data_dir)[1],
            audit=lambda event, **fields: audit_events.append((event, checked(fields))),
            device_clock=device_clock,
            health=SimulatedHealth(temperature_c=51.0, throttled=0x50000),
            stop_event=stop_event,
            login_clock=login_clock,
            boot_id=login_clock.boot_id,
        )
        kwargs.update(overrides)
        return create_app(config or Config(data_dir=str(data_dir)), controller, **kwargs)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf[-_]token"[^>]*(?:content|value)="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client, pin: str = PIN, **kwargs):
    token = csrf_from(client.get("/login", **kwargs).get_data(as_text=True))
    return client.post("/login", data={"pin": pin, "csrf_token": token}, **kwargs)


class LoggedIn:
    """A logged-in test client that sends the CSRF header on every POST."""

    def __init__(self, client) -> None:
        self.client = client
        response = log_in(client)
        assert response.status_code == 302
        self.csrf = csrf_from(client.get("/").get_data(as_text=True))

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, json=None, **kwargs):
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kwargs)


@pytest.fixture
def user(client):
    return LoggedIn(client)


@contextlib.contextmanager
def running_panel(
    make_app, config: Config, *, threads: int
) -> Iterator[tuple[PanelServer, LoggedIn]]:
    """The panel behind its real waitress server, with a phone logged in; stopped after."""
    stop = threading.Event()
    app = make_app(config, stop_event=stop)
    running = serve_panel(app, "127.0.0.1", 0, stop, threads=threads)
    try:
        yield running, LoggedIn(app.test_client())
    finally:
        stop.set()
        running.join(10)
