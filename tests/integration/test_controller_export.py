"""The office hand-over through the controller: a stick appears, sessions go to it."""

from __future__ import annotations

import json

import pytest

from appliance.controller import AlreadyRecording
from appliance.export.errors import NoStick, TooManySticks

from .rig import make_rig


def drain(subscription) -> list:
    events = []
    while (event := subscription.get(timeout=0.2)) is not None:
        events.append(event)
    return events


def record(rig, seconds: float = 3.0) -> str:
    session_id = rig.controller.start()
    rig.run_for(seconds)
    rig.stop()
    return session_id


@pytest.fixture
def rig(tmp_path):
    rig = make_rig(tmp_path)
    rig.controller.warm_up()
    rig.run_for(0.5)
    return rig


def test_a_stick_plugged_in_exports_verifies_and_then_forgets_the_sessions(rig, tmp_path):
    first, second = record(rig), record(rig)
    stick_dir = tmp_path / "usb" / "STICK"
    stick_dir.mkdir()
    [stick] = rig.stick_finder.sticks()
    with rig.controller.events.subscribe(maxsize=4096) as events:
        rig.controller.stick_inserted(stick)
        assert rig.controller.wait_idle(60)
        seen = drain(events)
    assert [e.fields["state"] for e in seen if e.type == "state"] == ["exporting", "idle"]
    phases = [e.fields["phase"] for e in seen if e.type == "export"]
    assert phases[-1] == "safe-to-remove" and "verifying" in phases
    assert rig.controller.status()["error"] is None
    assert rig.vault.list_sessions() == []
    for session_id in (first, second):
        folder = stick_dir / "VIG-EXPORT" / session_id
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        assert manifest["state"] == "complete"
        names = {entry["name"] for entry in manifest["files"]}
        assert {"part-0001.mp4.age", "session.json.age"} <= names
        for entry in manifest["files"]:
            assert (folder / entry["name"]).stat().st_size == entry["size"]


def test_a_stick_plugged_in_while_recording_is_used_once_the_session_stops(rig, tmp_path):
    session_id = rig.controller.start()
    rig.run_for(2)
    (tmp_path / "usb" / "STICK").mkdir()
    [stick] = rig.stick_finder.sticks()
    rig.controller.stick_inserted(stick)
    assert rig.controller.status()["state"] == "recording"
    with pytest.raises(AlreadyRecording):
        rig.controller.export()
    rig.run_for(2)
    with rig.controller.events.subscribe(maxsize=4096) as events:
        rig.controller.stop()
        assert rig.controller.wait_idle(60)
        states = [e.fields["state"] for e in drain(events) if e.type == "state"]
    assert states == ["stopping", "exporting", "idle"]
    assert rig.vault.list_sessions() == []
    assert (tmp_path / "usb" / "STICK" / "VIG-EXPORT" / session_id / "MANIFEST.json").exists()


def test_export_without_a_stick_or_with_two_says_why(rig, tmp_path):
    record(rig)
    with pytest.raises(NoStick):
        rig.controller.export()
    (tmp_path / "usb" / "A").mkdir()
    (tmp_path / "usb" / "B").mkdir()
    with pytest.raises(TooManySticks):
        rig.controller.export()
    assert rig.controller.status()["state"] == "idle"
    assert len(rig.vault.list_sessions()) == 1


def test_pulling_the_stick_out_is_published_so_the_lights_stop_saying_safe(rig, tmp_path):
    record(rig)
    (tmp_path / "usb" / "STICK").mkdir()
    [stick] = rig.stick_finder.sticks()
    rig.controller.stick_inserted(stick)
    assert rig.controller.wait_idle(60)
    with rig.controller.events.subscribe() as events:
        rig.controller.stick_removed(stick)
        phases = [e.fields["phase"] for e in drain(events) if e.type == "export"]
    assert phases == ["removed"]
