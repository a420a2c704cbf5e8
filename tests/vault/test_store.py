"""The Vault: sessions from start to deletion, refusals, free space, recovery."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from appliance.config import RecordingConfig, StorageConfig
from appliance.vault import NoRecipient, NotEnoughSpace, UnknownSession
from appliance.vault.age import CHUNK_SIZE, decrypt_file, salvage
from appliance.vault.errors import SessionClosed
from appliance.vault.lossy_filesystem import PowerCut
from appliance.vault.space import recording_bytes_per_second
from appliance.vault.state import read_state, write_state

MIB = 1024**2
GIB = 1024**3


def _write_part(session, data: bytes, filler: bytes = b"") -> str:
    part = session.open_part()
    part.write(data)
    part.close(filler)
    return part.name


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_session_stores_everything_encrypted_and_bookkept(vault, identity, clock):
    session = vault.create_session({"case_code": "C-17", "clock_source": "phone"})
    directory = vault.sessions_dir / session.id
    name = _write_part(session, b"media" * 1000)
    session.write_mark(1, {"media_time": 3.5, "tag": "guiding"})
    clip = session.open_clip(1)
    clip.write(b"clip bytes")
    clip.close()
    session.update_metadata({"summary": {"marks": 1}})
    clock.advance(125)
    session.finish("complete")

    assert decrypt_file(directory / name, [identity]) == b"media" * 1000
    assert json.loads(decrypt_file(directory / "mark-0001.json.age", [identity])) == {
        "media_time": 3.5, "tag": "guiding"}
    assert decrypt_file(directory / "clip-0001.mp4.age", [identity]) == b"clip bytes"
    assert json.loads(decrypt_file(directory / "session.json.age", [identity])) == {
        "case_code": "C-17", "clock_source": "phone", "summary": {"marks": 1}}

    info = vault.session(session.id)
    assert info.state == "complete" and info.duration_s == 125
    assert info.mark_count == 1 and info.clip_count == 1 and info.parts == (name,)
    for stored in info.files:
        assert stored.complete
        assert stored.size == (directory / stored.name).stat().st_size
        assert stored.sha256 == _sha(directory / stored.name)
    assert info.size_bytes == sum(p.stat().st_size for p in directory.iterdir())
    events = [e["event"] for e in vault.audit.entries()]
    assert events[-2:] == ["session_started", "session_finished"]


def test_parts_are_numbered_and_a_synced_part_needs_a_final_filler(vault, identity):
    session = vault.create_session({})
    first = session.open_part()
    first.write(b"a" * 1000)
    first.sync(b"\0" * (CHUNK_SIZE - 1000))
    assert first.pending == 0
    first.close(b"\0\0\0\x08free")
    second = session.open_part()
    assert (first.name, second.name) == ("part-0001.mp4.age", "part-0002.mp4.age")
    assert first.bytes_written == (first.path).stat().st_size
    plain = decrypt_file(first.path, [identity])
    assert plain == b"a" * 1000 + b"\0" * (CHUNK_SIZE - 1000) + b"\0\0\0\x08free"


def test_should_rotate_follows_the_configured_limits(make_enrolled):
    vault = make_enrolled(recording=RecordingConfig(part_max_seconds=60, part_max_bytes=10 * MIB))
    session = vault.create_session({})
    assert not session.should_rotate(59.9, 10 * MIB - 1)
    assert session.should_rotate(60, 0)
    assert session.should_rotate(0, 10 * MIB)


def test_finishing_with_an_open_part_leaves_it_unfinished_but_listed(vault, identity):
    session = vault.create_session({})
    part = session.open_part()
    part.write(b"x" * (CHUNK_SIZE + 10))
    part.sync(b"\0" * (CHUNK_SIZE - 10))
    session.finish("interrupted", "storage full")
    info = vault.session(session.id)
    assert info.state == "interrupted" and info.reason == "storage full"
    (record,) = [f for f in info.files if f.kind == "part"]
    assert not record.complete and record.sha256 == _sha(part.path)
    with pytest.raises(SessionClosed):
        part.write(b"more")
    with pytest.raises(SessionClosed):
        session.write_mark(1, {})


def test_start_is_refused_without_a_recipient(make_vault):
    vault = make_vault()
    with pytest.raises(NoRecipient):
        vault.check_can_start()
    with pytest.raises(NoRecipient):
        vault.create_session({"case_code": "C-1"})
    assert vault.list_sessions() == []


def test_start_is_refused_without_room_for_the_headroom_beyond_the_reserve(
    make_enrolled, disk
):
    recording = RecordingConfig(bitrate=6_000_000, audio_bitrate=128_000)
    storage = StorageConfig(reserve_bytes=GIB, start_headroom_minutes=10)
    vault = make_enrolled(storage=storage, recording=recording)
    ten_minutes = int(600 * recording_bytes_per_second(recording, CHUNK_SIZE))
    assert ten_minutes > 600 * 6_128_000 // 8  # sync fillers are counted too
    disk.set_free_bytes(GIB + ten_minutes - MIB)
    with pytest.raises(NotEnoughSpace):
        vault.create_session({})
    assert vault.list_sessions() == []
    disk.set_free_bytes(GIB + ten_minutes + MIB)
    vault.create_session({})


def test_start_is_refused_at_the_reserve_even_without_headroom(make_enrolled, disk):
    vault = make_enrolled(storage=StorageConfig(reserve_bytes=MIB, start_headroom_minutes=0))
    disk.set_free_bytes(MIB)
    with pytest.raises(NotEnoughSpace):
        vault.check_can_start()
    disk.set_free_bytes(MIB + 1)
    vault.check_can_start()


def test_free_space_reports_bytes_and_minutes_after_the_reserve(make_vault, disk):
    recording = RecordingConfig(bitrate=8_000_000, audio_bitrate=128_000, sync_interval=1.0)
    vault = make_vault(storage=StorageConfig(reserve_bytes=GIB), recording=recording)
    rate = 8_128_000 / 8 + CHUNK_SIZE / 2
    disk.set_free_bytes(GIB + int(rate * 60 * 30))
    space = vault.free_space()
    assert space.bytes == GIB + int(rate * 60 * 30)
    assert space.minutes == pytest.approx(30, abs=0.01)
    disk.set_free_bytes(GIB // 2)
    assert vault.free_space().minutes == 0


def test_a_running_session_sees_the_reserve_coming(make_enrolled, disk):
    vault = make_enrolled(storage=StorageConfig(reserve_bytes=MIB, start_headroom_minutes=0))
    disk.set_free_bytes(MIB + 300_000)
    session = vault.create_session({})
    part = session.open_part()
    assert not session.at_reserve()
    while not session.at_reserve():
        part.write(b"\0" * CHUNK_SIZE)
    part.close()
    session.finish("complete", "storage reserve reached")
    assert vault.at_reserve()


def test_unknown_and_malformed_session_ids_are_refused(vault):
    for session_id in ["20251125-120505-abcd", "../../etc", "sessions"]:
        with pytest.raises(UnknownSession):
            vault.session(session_id)
        with pytest.raises(UnknownSession):
            vault.delete_session(session_id, "test")


def test_delete_removes_the_files_and_the_directory_for_good(vault, disk):
    session = vault.create_session({"case_code": "C-2"})
    _write_part(session, b"x" * 100)
    session.write_mark(1, {})
    session.finish("complete")
    directory = vault.sessions_dir / session.id
    vault.delete_session(session.id, "consent withdrawn")
    assert not directory.exists()
    disk.power_cut()
    assert not directory.exists(), "the parent directory was fsynced"
    assert vault.list_sessions() == []
    with pytest.raises(UnknownSession):
        vault.session(session.id)
    last = vault.audit.entries()[-1]
    assert (last["event"], last["session"], last["reason"]) == (
        "session_deleted", session.id, "consent withdrawn")


def test_a_deletion_cut_short_is_finished_at_start_up(vault, disk, make_vault):
    for cut in range(1, 40):
        session = vault.create_session({})
        _write_part(session, b"x")
        session.finish("complete")
        directory = vault.sessions_dir / session.id
        disk.cut_after(cut)
        with pytest.raises(PowerCut):
            vault.delete_session(session.id, "consent withdrawn")
        if directory.exists() and read_state(directory).state == "deleted":
            break
    assert session.id not in {s.id for s in vault.list_sessions()}
    make_vault().recover_interrupted()
    assert not directory.exists()
    last = vault.audit.entries()[-1]
    assert (last["event"], last["session"], last["reason"]) == (
        "session_deleted", session.id, "resumed after power cut")


def test_a_hand_edited_deleted_state_does_not_delete_an_unexported_session(
    vault, disk, make_vault
):
    session = vault.create_session({"case_code": "C-3"})
    _write_part(session, b"x" * 100)
    session.write_mark(1, {})
    session.finish("complete")
    directory = vault.sessions_dir / session.id
    files = {p.name: p.read_bytes() for p in directory.glob("*.age")}
    state = read_state(directory)
    state.move_to("deleted")
    write_state(disk, directory, state)

    make_vault().recover_interrupted()

    assert {p.name: p.read_bytes() for p in directory.glob("*.age")} == files
    info = vault.session(session.id)
    assert info.state == "interrupted"
    assert "the audit log records no deletion" in info.reason
    events = [(e["event"], e.get("session")) for e in vault.audit.entries()]
    assert ("session_deletion_refused", session.id) in events
    assert ("session_deleted", session.id) not in events
    assert vault.audit.verify().ok


def test_mark_exported_moves_the_state_and_is_audited(vault):
    session = vault.create_session({})
    session.finish("complete")
    vault.mark_exported(session.id, "VIG-EXPORT on stick")
    info = vault.session(session.id)
    assert info.state == "exported"
    assert vault.audit.entries()[-1]["event"] == "session_exported"


def test_recover_turns_a_recording_session_into_an_interrupted_one(
    vault, disk, make_vault, identity, clock
):
    session = vault.create_session({"case_code": "C-3"})
    part = session.open_part()
    part.write(b"y" * 3000)
    part.sync(b"\0" * (CHUNK_SIZE - 3000))
    clock.advance(42)
    disk.power_cut()

    rebooted = make_vault()
    assert rebooted.session(session.id).state == "recording"
    assert rebooted.recover_interrupted() == [session.id]
    info = rebooted.session(session.id)
    assert info.state == "interrupted"
    (record,) = [f for f in info.files if f.kind == "part"]
    assert record.size == part.path.stat().st_size and record.sha256 == _sha(part.path)
    assert not record.complete
    last = rebooted.audit.entries()[-1]
    assert (last["event"], last["session"]) == ("session_interrupted", session.id)
    assert rebooted.recover_interrupted() == []
    rebooted.mark_exported(session.id, "stick")
    assert rebooted.session(session.id).state == "exported"


def test_recover_finds_a_part_that_state_json_never_listed(vault, disk, make_vault, identity):
    session = vault.create_session({})
    part = session.open_part()
    part.write(b"z" * 100)
    part.sync(b"\0" * (CHUNK_SIZE - 100))
    directory = vault.sessions_dir / session.id
    state = read_state(directory)
    state.files = [f for f in state.files if f.kind != "part"]
    write_state(disk, directory, state)  # as if the cut came before the entry was written
    (directory / ".state.json.tmp").write_bytes(b"half")
    disk.power_cut()

    rebooted = make_vault()
    rebooted.recover_interrupted()
    info = rebooted.session(session.id)
    assert info.parts == ("part-0001.mp4.age",)
    assert info.files[-1].sha256 == _sha(directory / "part-0001.mp4.age")
    assert not (directory / ".state.json.tmp").exists()
    found = [e for e in rebooted.audit.entries() if e["event"] == "file_found"]
    assert [e["file"] for e in found] == ["part-0001.mp4.age"]


def test_recover_rebuilds_a_session_whose_state_file_was_never_durable(vault, disk, make_vault):
    session = vault.create_session({})
    directory = vault.sessions_dir / session.id
    (directory / "state.json").unlink()
    empty = vault.sessions_dir / "20251125-000000-aaaa"
    empty.mkdir()
    rebooted = make_vault()
    assert rebooted.recover_interrupted() == [session.id]
    assert [f.name for f in rebooted.session(session.id).files] == ["session.json.age"]
    assert not empty.exists()


def test_recover_rebuilds_an_unreadable_state_file_from_the_files(vault, make_vault, identity):
    session = vault.create_session({})
    name = _write_part(session, b"p" * 100)
    session.write_mark(1, {})
    session.finish("complete")
    directory = vault.sessions_dir / session.id
    (directory / "state.json").write_bytes(b"\x00\x00garbage")
    rebooted = make_vault()
    assert rebooted.recover_interrupted() == [session.id]
    info = rebooted.session(session.id)
    assert info.state == "interrupted"
    assert info.parts == (name,) and info.mark_count == 1
    events = [e["event"] for e in rebooted.audit.entries()]
    assert events[-1] == "session_interrupted"
    assert events.index("state_file_unreadable") < events.index("file_found")


def test_a_full_card_is_reported_as_such_and_loses_nothing_synced(
    make_enrolled, make_vault, identity, disk
):
    vault = make_enrolled(storage=StorageConfig(reserve_bytes=0, start_headroom_minutes=0))
    disk.set_free_bytes(400_000)
    session = vault.create_session({})
    session.write_mark(1, {"n": 1})
    part = session.open_part()
    part.write(b"k" * CHUNK_SIZE)
    part.sync()
    with pytest.raises(NotEnoughSpace):
        for _ in range(20):
            part.write(b"q" * CHUNK_SIZE)
            part.sync()
    disk.set_free_bytes(0)
    with pytest.raises(NotEnoughSpace):
        session.write_mark(2, {"n": 2})
    assert read_state(vault.sessions_dir / session.id).mark_count == 1
    disk.power_cut()
    disk.set_free_bytes(10 * MIB)  # e.g. after an export freed space
    rebooted = make_vault()
    assert rebooted.recover_interrupted() == [session.id]
    plain = decrypt_or_salvage(part.path, identity)
    assert plain.startswith(b"k" * CHUNK_SIZE)


def decrypt_or_salvage(path, identity) -> bytes:
    out = io.BytesIO()
    with open(path, "rb") as source:
        salvage(source, [identity], out)
    return out.getvalue()
