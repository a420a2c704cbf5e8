"""The panel on the real controller with simulated sources: the whole loop in real time."""

from __future__ import annotations

import json
import time

import pytest

from appliance.panel.streams import jpeg_size
from tests.support.real_appliance import start_real_appliance
from tests.support.waiting import wait_until

from .conftest import log_in


@pytest.fixture
def appliance(tmp_path):
    appliance = start_real_appliance(tmp_path)
    yield appliance
    appliance.close()


@pytest.fixture
def controller(appliance):
    return appliance.controller


@pytest.fixture
def data_dir(appliance):
    return appliance.parts.data_dir


def test_start_mark_stop_list_delete(user, appliance):
    response = user.post("/api/start", json={"case_code": "K-17"})
    assert response.status_code == 200, response.get_json()
    session_id = response.get_json()["result"]
    response = user.post("/api/mark", json={"tag": "receiving-initiatives", "note": "eye contact"})
    assert response.status_code == 200
    assert response.get_json()["result"]["number"] == 1
    status = user.get("/api/status").get_json()
    assert status["state"] == "recording"
    assert [m["tag"] for m in status["marks"]] == ["receiving-initiatives"]

    response = user.post(f"/api/sessions/{session_id}/delete", json={"confirm": True})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "session_in_use"

    assert user.post("/api/stop").status_code == 200
    assert appliance.controller.wait_idle(10)
    (row,) = user.get("/api/sessions").get_json()["sessions"]
    assert (row["id"], row["state"], row["mark_count"]) == (session_id, "complete", 1)

    response = user.post("/api/sessions/20200101-000000-zzzz/delete", json={"confirm": True})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_session"
    response = user.post(f"/api/sessions/{session_id}/delete", json={"confirm": True})
    assert response.status_code == 200
    assert user.get("/api/sessions").get_json()["sessions"] == []
    assert appliance.parts.vault.list_sessions() == []


def test_refusals_come_back_in_the_controllers_words(user):
    response = user.post("/api/mark", json={})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "not_recording"
    assert "Start a session first." in error["message"]


def test_preview_from_the_synthetic_camera(user, appliance):
    assert wait_until(lambda: appliance.controller.preview_jpeg() is not None, timeout=5)
    response = user.get("/api/preview.mjpeg", buffered=False)
    chunk = next(iter(response.response))
    response.close()
    head, _, jpeg = chunk.partition(b"\r\n\r\n")
    assert b"Content-Type: image/jpeg" in head
    assert jpeg_size(jpeg) == (320, 240)


def test_status_stream_carries_ticks_and_marks(user, appliance):
    response = user.get("/api/events", buffered=False)
    stream = iter(response.response)
    first = next(stream).decode()
    assert first.startswith("event: status")
    appliance.controller.start()
    appliance.controller.mark(tag="guiding")
    seen: dict[str, dict] = {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not {"tick", "mark"} <= seen.keys():
        text = next(stream).decode()
        name = text.split("\n", 1)[0].removeprefix("event: ")
        seen[name] = json.loads(text.split("data: ", 1)[1])
    response.close()
    assert seen["mark"]["tag"] == "guiding"
    assert seen["tick"]["elapsed"] >= 0
    assert seen["tick"]["storage_minutes"] > 0


def test_phone_time_becomes_the_time_source(user, appliance):
    assert user.post("/api/time", json={"epoch_ms": 1_795_000_000_000}).status_code == 200
    assert appliance.controller.status()["time_source"] == "phone"
    events = [entry for entry in appliance.parts.vault.audit.entries() if "time" in entry["event"]]
    assert events


def test_failed_logins_go_to_the_vaults_audit_log_by_default(make_app, appliance):
    client = make_app(audit=None).test_client()
    assert log_in(client, pin="999999").status_code == 401
    entries = appliance.parts.vault.audit.entries()
    assert entries[-1]["event"] == "panel.login_failed"
    assert appliance.parts.vault.audit.verify().ok


def test_a_note_with_half_an_emoji_is_stored_with_its_mark(user, appliance):
    """The real controller writes the mark to an encrypted file as UTF-8: a lone surrogate
    used to fail there with a 500, and the mark was lost."""
    assert user.post("/api/start", json={}).status_code == 200
    raw = b'{"tag": "guiding", "note": "eye contact \\ud83d"}'
    response = user.post("/api/mark", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    marks = user.get("/api/status").get_json()["marks"]
    assert [(m["tag"], m["note"]) for m in marks] == [("guiding", "eye contact \ufffd")]
    assert user.post("/api/stop").status_code == 200
    assert appliance.controller.wait_idle(10)
    (row,) = user.get("/api/sessions").get_json()["sessions"]
    assert row["mark_count"] == 1
