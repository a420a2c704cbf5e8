"""PIN login, cookie, CSRF, rate limit and lockout, and that nothing is open without login."""

from __future__ import annotations

import os
import stat

import pytest

from appliance.panel.pin_store import PinStore, panel_files

from .conftest import PIN, csrf_from, log_in
from .url_walk import requests_for_every_route


def test_pin_is_stored_as_scrypt_hash_in_a_private_file(pin_store):
    text = pin_store.path.read_text()
    assert PIN not in text
    assert '"scheme": "scrypt"' in text
    assert stat.S_IMODE(os.stat(pin_store.path).st_mode) == 0o600
    assert pin_store.verify(PIN)
    assert not pin_store.verify("135791")


def test_device_secret_is_made_once_private_and_reused(make_app, data_dir):
    first = make_app().config["SECRET_KEY"]
    secret_path = panel_files(data_dir)[1]
    assert stat.S_IMODE(os.stat(secret_path).st_mode) == 0o600
    assert make_app().config["SECRET_KEY"] == first
    assert len(first) >= 32


def test_right_pin_logs_in_with_a_strict_http_only_cookie(client, audit_events):
    response = log_in(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert client.get("/").status_code == 200
    assert ("panel.login", {}) in audit_events


def test_wrong_pin_is_refused_and_audited(client, audit_events):
    response = log_in(client, pin="111111")
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    assert client.get("/api/status").status_code == 401
    assert audit_events[-1][0] == "panel.login_failed"


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"pin": PIN})
    assert response.status_code == 403
    assert client.get("/api/status").status_code == 401


def test_five_failures_a_minute_lock_the_address_out_with_growing_lockouts(
    client, app, login_clock, audit_events
):
    for _ in range(4):
        assert log_in(client, pin="000000").status_code == 401
    assert log_in(client, pin="000000").status_code == 429
    # Locked: even the right PIN is refused; the refusal is audited once, not per try.
    assert log_in(client).status_code == 429
    assert log_in(client).status_code == 429
    refused = [event for event, _ in audit_events if event == "panel.login_refused_locked"]
    assert refused == ["panel.login_refused_locked"]
    # Another phone is not locked out.
    other = app.test_client()
    assert log_in(other, environ_base={"REMOTE_ADDR": "10.42.0.7"}).status_code == 302
    login_clock.advance(61)
    for _ in range(5):
        log_in(client, pin="000000")
    assert audit_events[-1][1]["lockout_s"] == 120.0
    login_clock.advance(119)
    assert log_in(client).status_code == 429
    login_clock.advance(2)
    assert log_in(client).status_code == 302


def test_failures_spread_over_more_than_a_minute_do_not_lock(client, login_clock):
    for _ in range(8):
        assert log_in(client, pin="000000").status_code == 401
        login_clock.advance(20)
    assert log_in(client).status_code == 302


def test_setting_a_new_pin_logs_everyone_out(user, pin_store):
    assert user.get("/api/status").status_code == 200
    PinStore(pin_store.path).set("97531864")
    assert user.get("/api/status").status_code == 401


def test_logout_ends_the_login(user):
    response = user.client.post("/logout", data={"csrf_token": user.csrf})
    assert response.status_code == 302
    assert user.get("/api/status").status_code == 401


def test_every_route_but_login_and_static_refuses_without_login(app, client, controller):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    checked = 0
    for method, url, rule in requests_for_every_route(app, session_id="20261125-210000-abcd"):
        if rule.endpoint in ("auth.login_form", "auth.login", "static", "auth.logout"):
            continue
        response = client.open(url, method=method, json={}, headers={"X-CSRF-Token": token})
        assert response.status_code in (401, 302), (method, url, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].endswith("/login")
        checked += 1
    assert checked >= 10
    assert controller.calls == []


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_state_change_without_the_csrf_token_is_refused(user, controller, token):
    headers = {} if token is None else {"X-CSRF-Token": token}
    response = user.client.post("/api/start", json={}, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf"
    assert controller.calls == []


def copied(client, app):
    """Another browser holding a copy of this one's cookies (sniffed or taken off it)."""
    thief = app.test_client()
    for name in ("vig_panel", "vig_device"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def test_a_copied_cookie_stops_working_when_its_owner_logs_out(app, user):
    thief = copied(user.client, app)
    assert thief.get("/api/status").status_code == 200
    user.client.post("/logout", data={"csrf_token": user.csrf})
    assert thief.get("/api/status").status_code == 401
    assert thief.get("/").status_code == 302


def test_a_login_ends_after_12_hours_however_busy(user, login_clock):
    for _ in range(11):
        login_clock.now += 3600
        assert user.get("/api/status").status_code == 200
    login_clock.now += 3600
    assert user.get("/api/status").status_code == 401


def test_a_login_left_idle_for_4_hours_ends(user, login_clock):
    login_clock.now += 4 * 3600 - 1
    assert user.get("/api/status").status_code == 200
    login_clock.now += 4 * 3600
    assert user.get("/api/status").status_code == 401


def test_a_restart_keeps_logins_and_their_age_and_a_reboot_ends_them(
    make_app, app, user, login_clock
):
    restarted = make_app()
    again = copied(user.client, restarted)
    assert again.get("/api/status").status_code == 200
    login_clock.now += 12 * 3600
    assert again.get("/api/status").status_code == 401  # the 12 h counted from the login
    login_clock.now -= 12 * 3600
    login_clock.reboot()
    assert copied(user.client, make_app()).get("/api/status").status_code == 401


def test_the_wall_clock_does_not_end_or_extend_a_login(user, monkeypatch):
    import time

    wall = time.time()
    monkeypatch.setattr(time, "time", lambda: wall + 5 * 365 * 86400)
    assert user.get("/api/status").status_code == 200


def test_both_cookies_carry_max_age(client):
    before_login = client.get("/login").headers["Set-Cookie"]
    assert before_login.startswith("vig_panel=") and "Max-Age=43200" in before_login
    cookies = log_in(client).headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("vig_panel="))
    device_cookie = next(c for c in cookies if c.startswith("vig_device="))
    assert "Max-Age=43200" in session_cookie and "HttpOnly" in session_cookie
    assert "Max-Age=34560000" in device_cookie


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost:9999"},
        {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_state_change_from_another_origin_is_refused(user, controller, headers):
    response = user.post("/api/start", json={}, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "cross_origin"
    assert controller.calls == []


def test_a_login_posted_from_another_origin_is_refused(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"pin": PIN, "csrf_token": token}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    assert client.get("/api/status").status_code == 401


@pytest.mark.parametrize(
    "headers", [{}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"}]
)
def test_a_state_change_from_the_panel_itself_or_with_no_origin_passes(user, controller, headers):
    assert user.post("/api/start", json={}, headers=headers).status_code == 200
    assert controller.calls
