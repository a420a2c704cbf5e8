"""Refusals and failures of the recording controller: each says why and loses nothing."""

from __future__ import annotations

import random

import pytest

from appliance.assembly import build_recorder_factory
from appliance.controller import (
    AlreadyRecording,
    Controller,
    InvalidInput,
    NotRecording,
    SessionInUse,
)
from appliance.vault.errors import NoRecipient, NotEnoughSpace, UnknownSession
from appliance.vault.lossy_filesystem import LossyFileSystem
from appliance.vault.store import Vault

from .media import analyse, decrypt, salvage_bytes
from .rig import MIB, make_rig


def recording_rig(tmp_path, **kwargs):
    rig = make_rig(tmp_path, **kwargs)
    rig.controller.warm_up()
    rig.run_for(0.5)
    return rig


def test_start_is_refused_without_a_recipient_and_creates_nothing(tmp_path):
    rig = recording_rig(tmp_path, enrol=False)
    with pytest.raises(NoRecipient):
        rig.controller.start()
    assert rig.controller.status()["state"] == "idle"
    assert rig.vault.list_sessions() == []


def test_start_is_refused_when_the_card_is_nearly_full(tmp_path):
    fs = LossyFileSystem(tmp_path / "data", free_bytes=70 * MIB)
    rig = recording_rig(tmp_path, fs=fs)
    with pytest.raises(NotEnoughSpace):
        rig.controller.start()
    assert rig.vault.list_sessions() == []


def test_commands_out_of_turn_are_refused_in_plain_words(tmp_path):
    rig = recording_rig(tmp_path)
    with pytest.raises(NotRecording):
        rig.controller.mark()
    with pytest.raises(NotRecording):
        rig.controller.stop()
    with pytest.raises(UnknownSession):
        rig.controller.delete_session("20260101-000000-abcd")
    session_id = rig.controller.start()
    with pytest.raises(AlreadyRecording):
        rig.controller.start()
    with pytest.raises(SessionInUse):
        rig.controller.delete_session(session_id)
    rig.run_for(3)
    rig.stop()
    assert rig.vault.session(session_id).state == "complete"


@pytest.mark.parametrize(
    ("command", "kwargs"),
    [
        ("start", {"case_code": "Jane Smith"}),
        ("start", {"case_code": "X" * 17}),
        ("mark", {"tag": "hugging"}),
        ("mark", {"note": "n" * 201}),
    ],
)
def test_bad_input_changes_nothing(tmp_path, command, kwargs):
    rig = recording_rig(tmp_path)
    if command == "mark":
        session_id = rig.controller.start()
        rig.run_for(2)
    with pytest.raises(InvalidInput):
        getattr(rig.controller, command)(**kwargs)
    if command == "mark":
        assert rig.controller.status()["marks"] == []
        assert rig.files(session_id, "mark") == []
        rig.stop()
    else:
        assert rig.vault.list_sessions() == []


def test_a_silent_camera_stops_the_session_cleanly_with_the_reason(tmp_path):
    rig = recording_rig(tmp_path)
    with rig.controller.events.subscribe() as events:
        session_id = rig.controller.start()
        rig.run_for(5)
        rig.camera.stop()  # the camera hangs: nothing more arrives
        rig.run_for(4)
        assert rig.controller.wait_idle(30)
        seen = []
        while (event := events.get(timeout=0.1)) is not None:
            seen.append(event)
    errors = [e for e in seen if e.type == "error"]
    assert [e.fields["code"] for e in errors] == ["source_failed"]
    info = rig.vault.session(session_id)
    assert info.state == "complete" and "camera" in info.reason
    media = analyse(decrypt(rig.files(session_id, "part")[0], rig.identity), 320)
    assert media.video_duration >= 5.0


def test_reaching_the_space_reserve_stops_and_keeps_the_recording(tmp_path):
    fs = LossyFileSystem(tmp_path / "data", free_bytes=4096 * MIB)
    rig = recording_rig(tmp_path, fs=fs)
    session_id = rig.controller.start()
    rig.run_for(4)
    fs.set_free_bytes(60 * MIB)  # below the 64 MiB reserve of the rig
    rig.run_for(2)
    assert rig.controller.wait_idle(30)
    assert rig.controller.status()["error"]["code"] == "storage_full"
    info = rig.vault.session(session_id)
    assert info.state == "complete" and "reserve" in info.reason
    assert analyse(decrypt(rig.files(session_id, "part")[0], rig.identity), 320).video_duration > 4


def test_deleting_a_finished_session_removes_it_and_audits(tmp_path):
    rig = recording_rig(tmp_path)
    session_id = rig.controller.start()
    rig.run_for(2)
    rig.stop()
    rig.controller.delete_session(session_id, reason="consent withdrawn")
    assert not rig.session_dir(session_id).exists()
    with pytest.raises(UnknownSession):
        rig.vault.session(session_id)
    rig.vault.audit.verify()
    assert session_id in (rig.data_dir / "audit.log").read_text()


@pytest.mark.parametrize("seed", range(6))
def test_a_power_cut_loses_at_most_the_last_two_seconds(tmp_path, seed):
    rng = random.Random(seed)
    fs = LossyFileSystem(tmp_path / "data")
    rig = recording_rig(tmp_path, fs=fs, fps=10)
    session_id = rig.controller.start()
    rig.run_for(rng.uniform(3.0, 25.0))
    cut_at = rig.clock.now()
    fs.power_cut(rng)

    vault = Vault(rig.data_dir, rig.config.storage, rig.config.recording)
    assert session_id in vault.recover_interrupted()
    assert vault.session(session_id).state == "interrupted"
    data, report = salvage_bytes(rig.files(session_id, "part")[0], rig.identity)
    assert not report.complete
    media = analyse(data, 320)
    assert media.first_keyframe and media.codecs == {"h264", "aac"}
    media_end = media.strip_ms[-1] / 1000 + 1 / 10  # the last frame shows for one period
    assert cut_at - media_end <= 2.0, f"lost {cut_at - media_end:.2f} s"


def test_a_silent_microphone_stops_the_session_cleanly_with_the_reason(tmp_path):
    rig = recording_rig(tmp_path)
    session_id = rig.controller.start()
    rig.run_for(4)
    rig.microphone.stop()
    rig.run_for(4)
    assert rig.controller.wait_idle(30)
    assert rig.controller.status()["error"]["code"] == "source_failed"
    info = rig.vault.session(session_id)
    assert info.state == "complete" and "microphone" in info.reason
    assert analyse(decrypt(rig.files(session_id, "part")[0], rig.identity), 320).video_duration > 4


def test_a_failing_card_mid_session_stops_it_and_keeps_what_was_written(tmp_path):
    rig = make_rig(tmp_path)
    real_factory = build_recorder_factory(rig.config, threaded=False)

    def failing_factory(session, on_error):
        recorder = real_factory(session, on_error)
        original = recorder.on_frame
        frames = 0

        def on_frame(frame):
            nonlocal frames
            frames += 1
            if frames == 40:  # the card fails four seconds in
                on_error(OSError(5, "Input/output error"))
            original(frame)

        recorder.on_frame = on_frame
        return recorder

    rig.controller = Controller(
        rig.config,
        rig.vault,
        rig.camera,
        rig.microphone,
        rig.clock,
        recorder_factory=failing_factory,
    )
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    rig.run_for(3.5)
    assert rig.controller.healthy()
    rig.run_for(2)
    assert not rig.controller.healthy() or rig.controller.status()["state"] != "recording"
    assert rig.controller.wait_idle(30)
    assert rig.controller.status()["error"]["code"] == "recording_failed"
    info = rig.vault.session(session_id)
    assert info.reason == "writing failed"
    assert analyse(decrypt(rig.files(session_id, "part")[0], rig.identity), 320).video_duration > 3
