"""Marks after they are made: re-tagged, given a note or removed while the session records,
and sealed once it stops (the device cannot read a mark back)."""

from __future__ import annotations

import json

import pytest

from appliance.controller import InvalidInput, MarksSealed, UnknownMark
from appliance.vault.state import read_state

from .media import read_json
from .rig import make_rig

NOTE = "Mum A praises the drawing"


@pytest.fixture
def recording(tmp_path):
    """A rig 3 s into a session, with its id (2 s pre-roll, 1 s post-roll clips)."""
    rig = make_rig(tmp_path, fps=10, pre_roll=2.0, post_roll=1.0)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start("K-0417")
    rig.run_for(3.0)
    return rig, session_id


def audit_entries(rig) -> list[dict]:
    return [json.loads(line) for line in rig.vault.audit.path.read_text().splitlines()]


def test_a_note_and_a_tag_given_after_a_mark_are_written_into_that_marks_file(recording):
    rig, session_id = recording
    rig.controller.mark()
    rig.run_for(0.5)
    first_size = rig.files(session_id, "mark")[0].stat().st_size
    rig.controller.mark()  # a second mark: the edits below must not move to it
    rig.controller.note_mark(session_id, 1, NOTE)
    edited = rig.controller.retag_mark(session_id, 1, "guiding")
    assert edited == {
        "number": 1, "media_time": edited["media_time"], "tag": "guiding",
        "tag_label": "Guiding", "note": NOTE,
    }  # fmt: skip
    rig.run_for(2.0)
    rig.stop()

    first, second = (read_json(p, rig.identity) for p in rig.files(session_id, "mark"))
    assert (first["number"], first["tag"], first["tag_label"], first["note"]) == (
        1, "guiding", "Guiding", NOTE,
    )  # fmt: skip
    assert first["clip"] == "clip-0001.mp4.age" and first["wall_time"] > 0
    assert (second["number"], second["tag"], second["note"]) == (2, None, None)
    # Written again, padded as before: the file's size says nothing of the note.
    assert rig.files(session_id, "mark")[0].stat().st_size == first_size
    listed = {f.name: f for f in read_state(rig.session_dir(session_id)).files}
    assert listed["mark-0001.json.age"].complete


def test_a_tag_can_be_cleared_and_a_note_emptied(recording):
    rig, session_id = recording
    rig.controller.mark(tag="guiding", note="first thought")
    rig.controller.retag_mark(session_id, 1, None)
    rig.controller.note_mark(session_id, 1, "   ")
    assert rig.controller.status()["marks"][0] | {"media_time": 0} == {
        "number": 1, "media_time": 0, "tag": None, "tag_label": None, "note": None,
    }  # fmt: skip
    rig.stop()
    record = read_json(rig.files(session_id, "mark")[0], rig.identity)
    assert (record["tag"], record["note"]) == (None, None)


@pytest.mark.parametrize("while_clip_open", [True, False], ids=["clip-open", "clip-closed"])
def test_removing_a_mark_deletes_its_mark_and_clip_files_and_audits_no_content(
    recording, while_clip_open
):
    rig, session_id = recording
    rig.controller.mark(tag="guiding", note=NOTE)
    rig.controller.mark(tag="being-attentive", note="keep this one")
    rig.run_for(0.3 if while_clip_open else 2.0)
    assert [p.name for p in rig.files(session_id, "clip")] == [
        "clip-0001.mp4.age", "clip-0002.mp4.age",
    ]  # fmt: skip
    rig.controller.remove_mark(session_id, 1)
    assert [p.name for p in rig.files(session_id, "mark")] == ["mark-0002.json.age"]
    assert [p.name for p in rig.files(session_id, "clip")] == ["clip-0002.mp4.age"]
    rig.run_for(1.0)
    third = rig.controller.mark()
    assert third["number"] == 3  # numbers are never reused
    rig.run_for(2.0)
    rig.stop()

    names = sorted(f.name for f in read_state(rig.session_dir(session_id)).files)
    assert "mark-0001.json.age" not in names and "clip-0001.mp4.age" not in names
    assert [p.name for p in rig.files(session_id, "clip")] == [
        "clip-0002.mp4.age", "clip-0003.mp4.age",
    ]  # fmt: skip
    assert rig.vault.session(session_id).mark_count == 2
    entries = audit_entries(rig)
    removed = [e for e in entries if e["event"] in ("mark_removed", "clip_removed")]
    assert [(e["event"], e["session"]) for e in removed] == [
        ("mark_removed", session_id), ("clip_removed", session_id),
    ]  # fmt: skip
    assert (removed[0]["mark"], removed[1]["clip"]) == (1, 1)
    log = rig.vault.audit.path.read_text()
    for content in (NOTE, "guiding", "Guiding", "K-0417"):
        assert content not in log
    finished = next(e for e in entries if e["event"] == "session_finished")
    assert (finished["marks"], finished["clips"]) == (2, 2)


def test_a_mark_removed_before_the_first_picture_leaves_no_clip(tmp_path):
    rig = make_rig(tmp_path, fps=10, pre_roll=2.0, post_roll=1.0)
    rig.controller.warm_up()
    session_id = rig.controller.start()
    rig.controller.mark()  # no picture recorded yet: its clip waits for the first one
    rig.controller.remove_mark(session_id, 1)
    rig.run_for(3.0)
    rig.stop()
    assert rig.files(session_id, "mark") == [] and rig.files(session_id, "clip") == []


def test_after_stop_the_marks_are_sealed_and_say_where_later_notes_go(recording):
    rig, session_id = recording
    rig.controller.mark(note="before stop")
    rig.stop()
    before = rig.files(session_id, "mark")[0].read_bytes()
    for change in (
        lambda: rig.controller.note_mark(session_id, 1, "after stop"),
        lambda: rig.controller.retag_mark(session_id, 1, "guiding"),
        lambda: rig.controller.remove_mark(session_id, 1),
    ):
        with pytest.raises(MarksSealed) as refused:
            change()
        assert "review plan" in refused.value.user_message()
    assert rig.files(session_id, "mark")[0].read_bytes() == before


def test_a_change_for_another_session_never_reaches_the_one_being_recorded(recording):
    """The wrong family: a page still showing session A sends a note for its mark 1 after
    session B has started and has a mark 1 of its own."""
    rig, session_a = recording
    rig.controller.mark()
    rig.stop()
    session_b = rig.controller.start()
    rig.run_for(1.0)
    rig.controller.mark()
    with pytest.raises(MarksSealed):
        rig.controller.note_mark(session_a, 1, NOTE)
    assert rig.controller.status()["marks"][0]["note"] is None
    rig.stop()
    assert read_json(rig.files(session_b, "mark")[0], rig.identity)["note"] is None


@pytest.mark.parametrize(
    "change, refusal",
    [
        (lambda c, s: c.retag_mark(s, 7, "guiding"), UnknownMark),
        (lambda c, s: c.note_mark(s, 0, "x"), InvalidInput),
        (lambda c, s: c.note_mark(s, True, "x"), InvalidInput),
        (lambda c, s: c.note_mark(s, "1", "x"), InvalidInput),
        (lambda c, s: c.note_mark(s, 1, {"text": "x"}), InvalidInput),
        (lambda c, s: c.note_mark(s, 1, "x" * 201), InvalidInput),
        (lambda c, s: c.retag_mark(s, 1, "being-nice"), InvalidInput),
        (lambda c, s: c.remove_mark(s, 2.5), InvalidInput),
    ],
    ids=["unknown", "zero", "bool", "text-number", "note-object", "long-note", "tag", "float"],
)
def test_a_wrong_change_is_refused_and_loses_no_mark(recording, change, refusal):
    rig, session_id = recording
    rig.controller.mark(tag="guiding", note="kept")
    with pytest.raises(refusal):
        change(rig.controller, session_id)
    (kept,) = rig.controller.status()["marks"]
    assert (kept["tag"], kept["note"]) == ("guiding", "kept")
    rig.stop()
    record = read_json(rig.files(session_id, "mark")[0], rig.identity)
    assert (record["tag"], record["note"]) == ("guiding", "kept")


def test_half_an_emoji_in_a_later_note_keeps_the_rest(recording):
    rig, session_id = recording
    rig.controller.mark()
    rig.controller.note_mark(session_id, 1, "smiles \ud83d")
    rig.stop()
    assert read_json(rig.files(session_id, "mark")[0], rig.identity)["note"] == "smiles \ufffd"
