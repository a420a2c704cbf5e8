"""PIN guessing: a global budget that a restart keeps, remembered phones, the login window.

The figure the issue asks for: 500 guesses from 50 addresses, with a restart halfway,
reach the PIN check at most 30 times, while the practitioner's phone keeps working.
"""

from __future__ import annotations

import json
import time

import pytest

from appliance.panel.guess_budget import BUDGET_FILE_NAME, CAPACITY, REFILL_SECONDS
from appliance.panel.login_guard import login_files
from appliance.panel.login_window import ATTEMPTS
from appliance.panel.pin_store import PinStore
from appliance.panel.remembered_devices import DEVICE_COOKIE_NAME, MAX_FAILURES

from .conftest import LoggedIn, log_in

WRONG = "975310"[::-1]  # a wrong PIN that is well formed, so it is a real guess


class CountingPinStore(PinStore):
    """The PIN store, counting the guesses that reach the PIN check."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.checks = 0

    def verify(self, pin: str) -> bool:
        self.checks += 1
        return super().verify(pin)


@pytest.fixture
def counted(pin_store):
    return CountingPinStore(pin_store.path)


def at(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def moved(old_client, new_app):
    """The same browser (its cookies) talking to a restarted service."""
    client = new_app.test_client()
    for name in ("vig_panel", DEVICE_COOKIE_NAME):
        cookie = old_client.get_cookie(name)
        if cookie is not None:
            client.set_cookie(name, cookie.value)
    return client


def test_500_guesses_from_50_addresses_across_a_restart_reach_the_check_at_most_30_times(
    make_app, counted, login_clock
):
    app = make_app(pin_store=counted)
    phone = LoggedIn(app.test_client())
    counted.checks = 0
    strangers = {f"10.42.0.{n}": app.test_client() for n in range(10, 60)}
    statuses = []
    for round_number in range(10):
        if round_number == 5:  # the service restarts halfway, from the same data dir
            app = make_app(pin_store=counted)
            strangers = {address: moved(c, app) for address, c in strangers.items()}
            phone.client = moved(phone.client, app)
        for address, client in strangers.items():
            statuses.append(log_in(client, pin=WRONG, **at(address)).status_code)
            login_clock.now += 7  # 500 guesses in about an hour
        assert phone.get("/api/status").status_code == 200
    reached = counted.checks
    print(f"\nguesses reaching the PIN check: {reached} of {len(statuses)}")
    assert reached <= 30
    assert reached == CAPACITY + int(3500 / REFILL_SECONDS)
    assert 200 not in statuses and 302 not in statuses
    # The phone still logs in again, although strangers are held off.
    phone.client.post("/logout", data={"csrf_token": phone.csrf})
    assert phone.get("/api/status").status_code == 401
    assert log_in(phone.client, **at("10.42.0.200")).status_code == 302
    assert log_in(app.test_client(), **at("10.42.0.201")).status_code == 429


def test_an_empty_budget_refuses_a_new_phone_in_plain_words_and_audits_once(make_app, audit_events):
    app = make_app()
    for n in range(CAPACITY):
        assert log_in(app.test_client(), pin=WRONG, **at(f"10.42.0.{n + 2}")).status_code == 401
    refused = [log_in(app.test_client(), **at("10.42.0.99")) for _ in range(3)]
    assert {r.status_code for r in refused} == {429}
    page = refused[0].get_data(as_text=True)
    assert "phone that logged in here before" in page and "hold its button" in page
    paused = [e for e, _ in audit_events if e == "panel.login_refused_paused"]
    assert paused == ["panel.login_refused_paused"]


def test_the_budget_refills_with_uptime_only_never_with_the_wall_clock(
    make_app, login_clock, monkeypatch
):
    app = make_app()
    for n in range(CAPACITY):
        log_in(app.test_client(), pin=WRONG, **at(f"10.42.0.{n + 2}"))
    assert log_in(app.test_client(), **at("10.42.0.99")).status_code == 429
    wall = time.time()
    monkeypatch.setattr(time, "time", lambda: wall + 10 * 365 * 86400)  # a phone set the clock
    assert log_in(make_app().test_client(), **at("10.42.0.99")).status_code == 429
    login_clock.reboot()  # power off for a year: the time in between is unknown, earns nothing
    assert log_in(make_app().test_client(), **at("10.42.0.99")).status_code == 429
    login_clock.now += REFILL_SECONDS - 60
    assert log_in(make_app().test_client(), **at("10.42.0.99")).status_code == 429
    login_clock.now += 61
    assert log_in(make_app().test_client(), **at("10.42.0.99")).status_code == 302


def test_the_budget_lives_in_the_data_dir_with_an_uptime_stamp(make_app, data_dir):
    app = make_app()
    log_in(app.test_client(), pin=WRONG)
    record = json.loads((data_dir / BUDGET_FILE_NAME).read_text())
    assert record["tokens"] == CAPACITY - 1
    assert set(record["stamp"]) == {"boot_id", "uptime_s"}


def test_an_unreadable_budget_counts_as_empty(make_app, data_dir):
    (data_dir / BUDGET_FILE_NAME).write_text("{not json")
    assert log_in(make_app().test_client()).status_code == 429


def test_a_malformed_pin_never_reaches_the_check_nor_costs_a_guess(make_app, counted):
    app = make_app(pin_store=counted)
    for pin in ("12", "abcdef", "1" * 40):
        assert log_in(app.test_client(), pin=pin).status_code == 401
    assert counted.checks == 0


def test_the_remembered_phone_cookie_is_random_private_and_stored_only_hashed(client, data_dir):
    response = log_in(client)
    cookies = response.headers.getlist("Set-Cookie")
    device = next(c for c in cookies if c.startswith(DEVICE_COOKIE_NAME + "="))
    assert "HttpOnly" in device and "SameSite=Strict" in device
    assert "Max-Age=34560000" in device
    token = device.split(";")[0].split("=", 1)[1]
    device_id, secret = token.split(".")
    assert len(secret) >= 43
    stored = login_files(data_dir)[0].read_text()
    assert device_id in stored and secret not in stored


def test_a_stranger_using_the_phones_address_cannot_lock_the_phone_out(make_app):
    app = make_app()
    phone = LoggedIn(app.test_client())
    phone.client.post("/logout", data={"csrf_token": phone.csrf})
    attacker = app.test_client()
    for _ in range(CAPACITY + 5):
        log_in(attacker, pin=WRONG, **at("10.42.0.5"))
    assert log_in(attacker, **at("10.42.0.5")).status_code == 429
    assert log_in(phone.client, **at("10.42.0.5")).status_code == 302


def test_wrong_pins_in_a_row_make_a_remembered_phone_a_stranger_again(
    make_app, login_clock, counted
):
    app = make_app(pin_store=counted)
    devices = app.extensions["vig_panel"].guard.devices
    phone = LoggedIn(app.test_client())
    phone.client.post("/logout", data={"csrf_token": phone.csrf})
    counted.checks = 0
    while devices.count() == 1:
        log_in(phone.client, pin=WRONG)
        login_clock.now += 3600  # wait out each lockout
    assert counted.checks == MAX_FAILURES
    # From now on its tries draw on the global budget, like a stranger's.
    budget = app.extensions["vig_panel"].guard.budget
    before = budget.left()
    log_in(phone.client, pin=WRONG)
    assert budget.left() == pytest.approx(before - 1, abs=0.01)


def test_set_pin_forgets_every_remembered_phone(make_app, data_dir, monkeypatch):
    import io
    from types import SimpleNamespace

    from appliance.cli.panel_cmd import set_pin_command

    app = make_app()
    phone = app.test_client()
    assert log_in(phone).status_code == 302
    monkeypatch.setattr("sys.stdin", io.StringIO("97531864\n"))
    set_pin_command(SimpleNamespace(data_dir=data_dir), None)
    assert phone.get("/api/status").status_code == 401
    guard = app.extensions["vig_panel"].guard
    assert guard.devices.count() == 0
    assert not login_files(data_dir)[1].exists()


def test_the_button_window_lets_a_new_phone_in_while_the_budget_is_empty(
    make_app, login_clock, counted
):
    app = make_app(pin_store=counted)
    for n in range(CAPACITY):
        log_in(app.test_client(), pin=WRONG, **at(f"10.42.0.{n + 2}"))
    window = app.extensions["vig_panel"].guard.window
    new_phone = app.test_client()
    assert log_in(new_phone, **at("10.42.0.77")).status_code == 429
    window.open()
    assert "login window is open" in new_phone.get("/login").get_data(as_text=True)
    assert log_in(new_phone, pin=WRONG, **at("10.42.0.77")).status_code == 401
    assert log_in(new_phone, **at("10.42.0.77")).status_code == 302
    assert window.seconds_left() == 0  # the first right PIN closes it
    assert log_in(app.test_client(), **at("10.42.0.78")).status_code == 429


def test_the_window_allows_only_a_few_attempts_and_closes_after_two_minutes(
    make_app, login_clock, counted
):
    app = make_app(pin_store=counted)
    for n in range(CAPACITY):
        log_in(app.test_client(), pin=WRONG, **at(f"10.42.0.{n + 2}"))
    window = app.extensions["vig_panel"].guard.window
    window.open()
    counted.checks = 0
    for n in range(ATTEMPTS + 5):
        log_in(app.test_client(), pin=WRONG, **at(f"10.42.1.{n}"))
    assert counted.checks == ATTEMPTS
    window.open()
    login_clock.now += 121
    assert log_in(app.test_client(), **at("10.42.0.79")).status_code == 429
