"""The API calls the controller as asked, and refuses bad input plainly, changing nothing."""

from __future__ import annotations

import re

import pytest

from appliance.controls.virtual_button import VirtualButton
from appliance.tags import MARK_TAGS


def error_of(response) -> dict:
    body = response.get_json()
    assert body is not None and "error" in body, response.get_data(as_text=True)
    assert body["error"]["message"]
    return body["error"]


def test_start_mark_stop(user, controller):
    assert user.post("/api/start", json={"case_code": "K-0417"}).status_code == 200
    response = user.post("/api/mark", json={"tag": "guiding", "note": "lovely turn-taking"})
    assert response.status_code == 200
    assert user.post("/api/mark", json={}).status_code == 200
    assert user.post("/api/stop").status_code == 200
    assert controller.calls == [
        ("start", {"case_code": "K-0417"}),
        ("mark", {"tag": "guiding", "note": "lovely turn-taking", "at": None}),
        ("mark", {"tag": None, "note": None, "at": None}),
        ("stop", {"reason": "stopped"}),
    ]
    sessions = user.get("/api/sessions").get_json()["sessions"]
    assert [(s["state"], s["mark_count"]) for s in sessions] == [("complete", 2)]
    assert set(sessions[0]) == {
        "id", "state", "started_at", "duration_s", "mark_count", "consent_recorded"
    }


def test_dismissing_the_error_asks_the_controller_to_clear_it(user, controller):
    controller.state = "error"
    assert user.post("/api/clear-error", json={}).status_code == 200
    assert controller.commands() == ["clear_error"]
    assert user.get("/api/status").get_json()["state"] == "idle"


def test_status_has_what_the_page_shows(user, controller):
    controller.start()
    controller.mark(tag="guiding")
    status = user.get("/api/status").get_json()
    assert status["state"] == "recording"
    assert len(status["marks"]) == 1
    assert status["storage_minutes"] == 312.5
    assert status["clock"] == {"trusted": False, "source": "system", "offer_phone_time": True}
    assert status["simulate"] is False


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/api/mark", {"note": "x" * 201}, "bad_request"),
        ("/api/mark", {"tag": "being-nice"}, "bad_request"),
        ("/api/mark", {"tag": 3}, "bad_request"),
        ("/api/mark", {"note": ["a"]}, "bad_request"),
        ("/api/start", {"case_code": "Jane Smith"}, "bad_request"),
        ("/api/start", {"case_code": "A" * 17}, "bad_request"),
        ("/api/start", {"case_code": "<script>"}, "bad_request"),
        ("/api/time", {"epoch_ms": "soon"}, "bad_request"),
        ("/api/time", {"epoch_ms": 1000}, "bad_request"),
    ],
)
def test_bad_input_is_refused_with_400_and_changes_nothing(user, controller, path, body, code):
    if path == "/api/mark":
        controller.start()
    before = list(controller.calls)
    response = user.post(path, json=body)
    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert controller.calls == before
    assert controller.phone_times == []


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"note": "x"' + b" " * 5000 + b"}"]
)
def test_malformed_json_is_refused(user, controller, raw):
    controller.start()
    response = user.post("/api/mark", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    assert controller.marks == []


def test_every_tag_is_accepted(user, controller):
    controller.start()
    for slug in MARK_TAGS:
        assert user.post("/api/mark", json={"tag": slug}).status_code == 200
    assert [m["tag"] for m in controller.marks] == list(MARK_TAGS)


def test_delete_needs_confirmation_then_deletes(user, controller):
    controller.start()
    controller.stop()
    (session_id,) = controller.stored
    response = user.post(f"/api/sessions/{session_id}/delete", json={})
    assert response.status_code == 400
    assert "confirm" in error_of(response)["message"]
    assert session_id in controller.stored
    assert (
        user.post(f"/api/sessions/{session_id}/delete", json={"confirm": "yes"}).status_code == 400
    )
    assert session_id in controller.stored
    response = user.post(f"/api/sessions/{session_id}/delete", json={"confirm": True})
    assert response.status_code == 200
    assert controller.stored == {}


def test_deleting_an_unknown_or_the_recording_session_is_refused(user, controller):
    response = user.post("/api/sessions/20200101-000000-zzzz/delete", json={"confirm": True})
    assert response.status_code == 400
    assert error_of(response)["code"] == "unknown_session"
    recording = controller.start()
    response = user.post(f"/api/sessions/{recording}/delete", json={"confirm": True})
    assert response.status_code == 400
    assert "being recorded" in error_of(response)["message"]
    assert recording in controller.stored
    response = user.post("/api/sessions/..%2F..%2Fetc/delete", json={"confirm": True})
    assert response.status_code in (400, 404)


def test_refused_command_passes_the_controllers_plain_message(user, controller):
    response = user.post("/api/stop")
    assert response.status_code == 400
    assert error_of(response)["code"] == "not_recording"
    controller.start()
    response = user.post("/api/start", json={})
    assert response.status_code == 400
    assert error_of(response)["code"] == "already_recording"


def test_phone_time_is_recorded_used_and_audited(user, controller, device_clock, audit_events):
    epoch_ms = 1_795_000_000_000
    response = user.post("/api/time", json={"epoch_ms": epoch_ms})
    assert response.status_code == 200
    assert response.get_json()["result"] == {"system_clock_set": False}
    assert controller.phone_times == [epoch_ms / 1000]
    assert [r[0] for r in device_clock.requests] == [epoch_ms / 1000]
    assert audit_events[-1][0] == "panel.time_from_phone"
    clock = user.get("/api/status").get_json()["clock"]
    assert clock["offer_phone_time"] is False


def test_trusted_clock_is_not_offered_phone_time(user, device_clock):
    device_clock.trusted = True
    assert user.get("/api/status").get_json()["clock"]["offer_phone_time"] is False


def test_security_headers(user):
    for path in ("/", "/api/status", "/login"):
        headers = user.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_style_or_handlers(user):
    for path in ("/", "/login"):
        html = user.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)


def test_page_has_big_controls_and_every_tag(user):
    html = user.get("/").get_data(as_text=True)
    for element_id in ("start", "mark", "stop", "case-code", "note", "preview"):
        assert f'id="{element_id}"' in html
    for label in MARK_TAGS.values():
        assert label in html
    assert "must never be a name" in html
    assert 'id="virtual-button"' not in html


def test_static_files_come_from_the_package(client):
    response = client.get("/static/panel.js")
    assert response.status_code == 200
    assert "EventSource" in response.get_data(as_text=True)


def test_virtual_button_exists_only_in_simulation(make_app, controller, user):
    assert user.post("/api/sim/button", json={"pressed": True}).status_code == 404

    class Pin:
        def __init__(self):
            self.driven = []

        def drive_low(self):
            self.driven.append("low")

        def drive_high(self):
            self.driven.append("high")

    pin = Pin()
    from .conftest import LoggedIn

    simulated = LoggedIn(make_app(virtual_button=VirtualButton(pin)).test_client())
    assert 'id="virtual-button"' in simulated.get("/").get_data(as_text=True)
    assert simulated.post("/api/sim/button", json={"pressed": True}).status_code == 200
    assert simulated.post("/api/sim/button", json={"pressed": False}).status_code == 200
    assert simulated.post("/api/sim/button", json={"pressed": "yes"}).status_code == 400
    assert pin.driven == ["low", "high"]


def test_simulated_clock_trust_comes_from_the_config(make_app, data_dir):
    from appliance.config import Config, PanelConfig

    from .conftest import LoggedIn

    for trusted in (True, False):
        config = Config(data_dir=str(data_dir), panel=PanelConfig(simulated_clock_trusted=trusted))
        user = LoggedIn(make_app(config, device_clock=None).test_client())
        assert user.get("/api/status").get_json()["clock"]["offer_phone_time"] is not trusted


def test_half_an_emoji_in_a_note_keeps_the_mark_and_the_rest_of_the_note(user, controller):
    """A lone surrogate (a phone's length limit cutting an emoji in two) is no character
    and cannot be stored; it becomes U+FFFD, and the mark counts."""
    controller.start()
    raw = b'{"tag": "guiding", "note": "lovely \\ud83d turn"}'
    response = user.post("/api/mark", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert controller.marks[0]["note"] == "lovely \ufffd turn"


def test_deeply_nested_json_is_refused_in_plain_words(user, controller):
    controller.start()
    raw = b'{"tag": "guiding", "note": ' + b"[" * 1500 + b"]" * 1500 + b"}"
    response = user.post("/api/mark", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "nested too deeply" in error_of(response)["message"]
    assert controller.marks == []
