"""The consent record on the whole appliance: recorded on the panel (at Start, or after a
session the button started and stopped), exported with the session, shown by vig-unpack;
a session without one is exported all the same and said to have none."""

from __future__ import annotations

import io
import json

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.pins import mock_pin_factory
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME
from appliance.export.stick import FolderStick
from appliance.unpack.cli import EXIT_OK, main
from appliance.vault.session_files import CONSENT_FILE
from tests.support.gpio import FAST_GPIO, ButtonClock
from tests.support.real_appliance import start_real_appliance
from tests.support.waiting import wait_until

AT_START = {"filming": True, "training": True, "family_copy": False,
            "involvement_ends": "2027-01-31"}
AFTER_STOP = {"filming": True, "training": False, "family_copy": True, "delete_by": "2027-03-31"}


@pytest.fixture
def appliance(tmp_path):
    appliance = start_real_appliance(tmp_path, gpio=FAST_GPIO, width=160, height=120, fps=5,
                                     bitrate=100_000)
    yield appliance
    appliance.close()


@pytest.fixture
def controller(appliance):
    return appliance.controller


@pytest.fixture
def data_dir(appliance):
    return appliance.parts.data_dir


@pytest.fixture
def button(appliance):
    """The appliance's button input (a mock pin), its holds measured on a ButtonClock."""
    factory = mock_pin_factory()
    clock = ButtonClock(appliance.parts.clock.now())
    control = ButtonControl(appliance.controller, FAST_GPIO, factory, clock=clock,
                            shutdown=lambda: None)
    control.test_clock = clock
    yield control
    control.close()
    factory.close()


def state(appliance) -> str:
    return appliance.controller.status()["state"]


def record_from_the_button(appliance, button) -> str:
    """Press to start, let a second pass, hold to stop: no phone involved."""
    clock = button.test_clock
    clock.catch_up_with(appliance.parts.clock)
    button.pin.drive_low()
    button.pin.drive_high()
    assert state(appliance) == "recording"
    session_id = appliance.controller.status()["session"]
    assert wait_until(lambda: appliance.controller.status()["elapsed"] >= 1.0, timeout=10)
    clock.catch_up_with(appliance.parts.clock)
    button.pin.drive_low()
    try:
        clock.advance(FAST_GPIO.stop_hold_seconds + 0.01)
        assert wait_until(lambda: state(appliance) != "recording", timeout=10)
    finally:
        button.pin.drive_high()
    assert appliance.controller.wait_idle(10)
    return session_id


def record_from_the_panel(user, appliance, consent: dict | None) -> str:
    response = user.post("/api/start", json={"case_code": "K-2"})
    assert response.status_code == 200, response.get_json()
    session_id = response.get_json()["result"]
    if consent is not None:  # as the page does the moment the session has begun
        response = user.post(f"/api/sessions/{session_id}/consent", json=consent)
        assert response.status_code == 200, response.get_json()
    assert wait_until(lambda: appliance.controller.status()["elapsed"] >= 1.0, timeout=10)
    assert user.post("/api/stop").status_code == 200
    assert appliance.controller.wait_idle(10)
    return session_id


def unpack(stick, appliance, tmp_path) -> tuple[str, object]:
    key = tmp_path / "key.txt"
    key.write_text(f"{appliance.identity}\n")
    out = tmp_path / "unpacked"
    stream = io.StringIO()
    code = main([str(stick), "--identity", str(key), "--out", str(out),
                 "--devices", str(tmp_path / "devices.json")], stream=stream, cwd=tmp_path)
    assert code == EXIT_OK, stream.getvalue()
    return stream.getvalue(), out


def test_consent_recorded_after_a_button_session_and_at_start_reaches_vig_unpack(
    user, appliance, button, tmp_path
):
    from_button = record_from_the_button(appliance, button)
    status = user.get("/api/status").get_json()
    assert status["consent_missing"] == [from_button]  # the panel asks for its record
    response = user.post(f"/api/sessions/{from_button}/consent", json=AFTER_STOP)
    assert response.status_code == 200, response.get_json()
    at_start = record_from_the_panel(user, appliance, AT_START)
    without = record_from_the_panel(user, appliance, None)
    assert user.get("/api/status").get_json()["consent_missing"] == [without]
    events = [e for e in appliance.parts.vault.audit.entries() if e["event"] == "consent_recorded"]
    assert [(e["session"], e["replaced"]) for e in events] == [
        (from_button, False), (at_start, False)
    ]
    assert all(set(e) <= {"event", "session", "replaced", "seq", "time", "prev"} for e in events)

    stick = tmp_path / "stick"
    stick.mkdir()
    appliance.controller.export(FolderStick(stick))
    assert appliance.controller.wait_idle(30)
    assert appliance.parts.vault.list_sessions() == []
    export_dir = stick / EXPORT_DIR_NAME
    manifests = {
        sid: json.loads((export_dir / sid / MANIFEST_NAME).read_text())
        for sid in (from_button, at_start, without)
    }
    for sid in (from_button, at_start):
        assert manifests[sid]["consent"] == "recorded"
        assert CONSENT_FILE in {f["name"] for f in manifests[sid]["files"]}
    assert manifests[without]["consent"] == "not recorded"
    assert CONSENT_FILE not in {f["name"] for f in manifests[without]["files"]}
    assert not (export_dir / without / CONSENT_FILE).exists()

    # Exported: the device keeps nothing of it, so the record can no longer change.
    response = user.post(f"/api/sessions/{from_button}/consent", json=AT_START)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "consent_closed"

    text, out = unpack(stick, appliance, tmp_path)
    assert (f"{from_button}: filming: yes; clips in supervision or training: no; "
            "stills or clips for the family: yes; delete every copy by: 2027-03-31") in text
    assert (f"{at_start}: filming: yes; clips in supervision or training: yes; "
            "stills or clips for the family: no; delete every copy by: 2027-03-31") in text
    assert f"{without}: consent not recorded" in text
    button_page = (out / from_button / "index.html").read_text()
    assert "Delete every copy by" in button_page and "2027-03-31" in button_page
    assert "not recorded" not in button_page
    assert "not recorded" in (out / without / "index.html").read_text()
    overview = (out / "index.html").read_text()
    assert "delete every copy by 2027-03-31" in overview
    assert "consent not recorded" in overview


def test_the_record_can_be_replaced_until_the_export(user, appliance, button, tmp_path):
    session_id = record_from_the_button(appliance, button)
    path = f"/api/sessions/{session_id}/consent"
    assert user.post(path, json=AFTER_STOP).status_code == 200
    assert user.post(path, json={**AFTER_STOP, "family_copy": False}).status_code == 200
    (info,) = appliance.parts.vault.list_sessions()
    assert [f.name for f in info.files if f.kind == "consent"] == [CONSENT_FILE]
    stick = tmp_path / "stick"
    stick.mkdir()
    appliance.controller.export(FolderStick(stick))
    assert appliance.controller.wait_idle(30)
    text, _ = unpack(stick, appliance, tmp_path)
    assert "stills or clips for the family: no" in text
