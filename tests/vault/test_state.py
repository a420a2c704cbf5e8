"""state.json is replaced atomically: after a cut at any point it is the old or the new."""

from __future__ import annotations

import pytest

from appliance.vault.errors import CorruptStateFile, InvalidTransition
from appliance.vault.filesystem import make_dirs_durably
from appliance.vault.lossy_filesystem import LossyFileSystem, PowerCut
from appliance.vault.state import FileRecord, SessionState, read_state, write_state


def _state(size: int) -> SessionState:
    state = SessionState("20251125-120505-abcd", "recording", 1.0)
    state.put_file(FileRecord("part-0001.mp4.age", "part", size, "ab" * 32, True))
    return state


def test_a_cut_at_any_operation_leaves_the_old_or_the_new_state(tmp_path):
    cut_at = 1
    outcomes = set()
    while True:
        fs = LossyFileSystem(tmp_path / f"disk{cut_at}")
        directory = fs.root / "s"
        make_dirs_durably(fs, directory)
        write_state(fs, directory, _state(1))
        fs.cut_after(cut_at)
        try:
            write_state(fs, directory, _state(2))
        except PowerCut:
            size = read_state(directory).files[0].size
            outcomes.add(size)
            assert size in (1, 2)
            cut_at += 1
            continue
        fs.power_cut()
        assert read_state(directory).files[0].size == 2
        break
    assert outcomes == {1}, "every cut before the directory fsync returns keeps the old state"


def test_round_trip_keeps_every_field(tmp_path):
    fs = LossyFileSystem(tmp_path)
    state = _state(5)
    state.exports.append({"destination": "stick", "at": 2.0})
    write_state(fs, tmp_path, state)
    assert read_state(tmp_path) == state
    assert state.mark_count == 0


def test_files_are_kept_in_kind_then_name_order():
    state = SessionState("20251125-120505-abcd", "recording", 1.0)
    for name, kind in [("mark-0001.json.age", "mark"), ("part-0002.mp4.age", "part"),
                       ("session.json.age", "metadata"), ("part-0001.mp4.age", "part")]:
        state.put_file(FileRecord(name, kind))
    assert [f.name for f in state.files] == [
        "session.json.age", "part-0001.mp4.age", "part-0002.mp4.age", "mark-0001.json.age"]


def test_transitions_follow_the_life_of_a_session():
    state = _state(1)
    with pytest.raises(InvalidTransition):
        state.move_to("exported")
    state.move_to("complete")
    with pytest.raises(InvalidTransition):
        state.move_to("recording")
    state.move_to("exported")
    state.move_to("deleted")
    with pytest.raises(InvalidTransition):
        state.move_to("complete")


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"format": 99, "files": []}',
                                     b'{"format": 1, "files": [], "id": "x", "state": "odd",'
                                     b' "started_at": 1}'])
def test_an_unreadable_state_file_is_named(tmp_path, content):
    (tmp_path / "state.json").write_bytes(content)
    with pytest.raises(CorruptStateFile):
        read_state(tmp_path)
