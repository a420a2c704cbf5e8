"""The phone's time is taken while the device's is not believed, and only on confirmation
once it is; however asked, at most once a minute (which bounds the audit it writes)."""

from __future__ import annotations

import time

from appliance.panel.phone_time import CONFIRM_BEYOND_SECONDS, MIN_INTERVAL_SECONDS

HOUR_MS = 3_600_000


def now_ms() -> int:
    return int(time.time() * 1000)


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_a_trusted_clock_is_left_alone_by_a_phone_within_minutes(user, device_clock, audit_events):
    device_clock.trusted = True
    near = now_ms() + int(CONFIRM_BEYOND_SECONDS * 1000) // 2
    response = user.post("/api/time", json={"epoch_ms": near})
    assert response.status_code == 200
    assert response.get_json()["result"] == {"system_clock_set": False, "unchanged": True}
    assert device_clock.requests == []
    assert not [event for event, _ in audit_events if event == "panel.time_from_phone"]


def test_a_trusted_clock_takes_a_distant_phone_time_only_when_confirmed(
    user, device_clock, controller
):
    device_clock.trusted = True
    far = now_ms() + 2 * HOUR_MS
    refused = user.post("/api/time", json={"epoch_ms": far})
    assert refused.status_code == 400
    assert error_code(refused) == "time_needs_confirmation"
    assert "about 120 minutes" in refused.get_json()["error"]["message"]
    assert device_clock.requests == [] and controller.phone_times == []
    assert user.post("/api/time", json={"epoch_ms": far, "confirm": True}).status_code == 200
    assert [seconds for seconds, _ in device_clock.requests] == [far / 1000]


def test_once_a_phone_has_set_it_another_needs_a_confirmation_to_move_it(
    user, device_clock, controller
):
    assert user.post("/api/time", json={"epoch_ms": now_ms()}).status_code == 200
    assert controller.time_source == "phone"
    a_day_back = now_ms() - 24 * HOUR_MS
    assert error_code(user.post("/api/time", json={"epoch_ms": a_day_back})) == (
        "time_needs_confirmation"
    )
    assert len(device_clock.requests) == 1


def test_the_clock_is_set_at_most_once_a_minute_so_the_audit_stays_small(
    user, device_clock, audit_events, login_clock
):
    statuses = [
        user.post("/api/time", json={"epoch_ms": now_ms() + n * HOUR_MS, "confirm": True})
        for n in range(1, 51)
    ]
    assert statuses[0].status_code == 200
    assert {error_code(r) for r in statuses[1:]} == {"time_set_too_often"}
    assert len([e for e, _ in audit_events if e == "panel.time_from_phone"]) == 1
    login_clock.now += MIN_INTERVAL_SECONDS
    later = user.post("/api/time", json={"epoch_ms": now_ms() + HOUR_MS, "confirm": True})
    assert later.status_code == 200
    assert len(device_clock.requests) == 2
