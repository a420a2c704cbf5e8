"""A small file's size says nothing of its content: marks and metadata are padded.

Unpadded, each of the six principles gave a mark file of its own size, a note added exactly
its byte length, and the case code's length showed in session.json.age.
"""

from __future__ import annotations

import json

from appliance.tags import MARK_TAGS, MAX_NOTE_LENGTH
from appliance.vault.age import AgeReader
from appliance.vault.session_files import METADATA_FILE, numbered_name

NOTES = (
    None,
    "a",
    "x" * MAX_NOTE_LENGTH,
    "\U0001f600" * MAX_NOTE_LENGTH,  # four bytes each in UTF-8
    "\x01" * MAX_NOTE_LENGTH,  # six bytes each as a JSON escape
)


def mark_record(number: int, tag: str | None, note: str | None) -> dict:
    """A mark as the controller writes it (appliance/controller/machine.py)."""
    return {
        "number": number,
        "media_time": 12345.678901,
        "tag": tag,
        "tag_label": MARK_TAGS.get(tag) if tag else None,
        "note": note,
        "wall_time": 1_764_000_123.456789,
        "clip": f"clip-{number:04d}.mp4.age",
    }


def metadata(case_code: str | None) -> dict:
    return {
        "case_code": case_code,
        "wall_clock_start": 1_764_000_000.0,
        "wall_clock_source": "phone",
        "settings": {"width": 1280, "height": 720, "fps": 25},
        "recipient_fingerprints": ["0123456789abcdef"],
    }


def test_every_mark_file_has_the_same_size_whatever_its_tag_and_note(vault, identity):
    session = vault.create_session(metadata("CASE-7"))
    combinations = [(tag, note) for tag in (None, *MARK_TAGS) for note in NOTES]
    for number, (tag, note) in enumerate(combinations, start=1):
        session.write_mark(number, mark_record(number, tag, note))
    directory = vault.sessions_dir / session.id
    sizes = {
        (directory / numbered_name("mark", n)).stat().st_size
        for n in range(1, len(combinations) + 1)
    }
    assert len(sizes) == 1
    with open(directory / numbered_name("mark", len(combinations)), "rb") as fh:
        assert json.loads(AgeReader(fh, [identity]).read()) == mark_record(
            len(combinations), *combinations[-1]
        )


def test_session_metadata_has_the_same_size_whatever_the_case_code(vault, identity):
    sizes = set()
    for case_code in (None, "A", "CASE-7", "X" * 16):
        session = vault.create_session(metadata(case_code))
        session.update_metadata({"stop_reason": "stopped", "marks": 3})
        path = vault.sessions_dir / session.id / METADATA_FILE
        sizes.add(path.stat().st_size)
        with open(path, "rb") as fh:
            assert json.loads(AgeReader(fh, [identity]).read())["case_code"] == case_code
        session.finish("complete")
    assert len(sizes) == 1
