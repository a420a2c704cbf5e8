"""vig-unpack on an exported stick: checked, decrypted, joined, clipped, indexed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from appliance.export.manifest import EXPORT_DIR_NAME
from appliance.tags import MARK_TAGS
from appliance.unpack.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, main
from appliance.vault.age import AgeWriter, ScryptRecipient
from tests.tooling import require_tool


def probe(path: Path) -> dict:
    ffprobe = require_tool("ffprobe", "ffmpeg")
    out = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries",
         "format=duration,format_name:stream=codec_name,codec_type,width", "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def run(*args: str, cwd: Path | None = None, passphrase: str = "") -> tuple[int, str]:
    stream = io.StringIO()
    code = main(list(args), ask_passphrase=lambda prompt: passphrase, stream=stream, cwd=cwd)
    return code, stream.getvalue()


@pytest.fixture(scope="module")
def unpacked(exported, tmp_path_factory):
    out = tmp_path_factory.mktemp("unpacked") / "out"
    code, text = run(str(exported.root), "--identity", str(exported.key), "--out", str(out))
    return code, text, out


def test_unpack_writes_session_mp4s_with_the_right_durations(exported, unpacked):
    code, text, out = unpacked
    assert code == EXIT_OK, text
    complete = list((out / exported.complete.id).glob("session_*.mp4"))
    assert len(complete) == 1
    info = probe(complete[0])
    assert {s["codec_name"] for s in info["streams"]} == {"h264", "aac"}
    assert "mp4" in info["format"]["format_name"]
    assert duration(complete[0]) == pytest.approx(5.0, abs=0.15)
    with open(complete[0], "rb") as fh:
        head = fh.read(4096)
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # faststart

    interrupted = next((out / exported.interrupted.id).glob("session_*.mp4"))
    # Part 1 (2 s) whole; part 2 was cut after its second synced fragment (see sessions.py).
    assert duration(interrupted) == pytest.approx(4.0, abs=0.15)
    assert "interrupted" in text and "stops at 0:04" in text


def test_unpack_writes_one_clip_per_mark_and_marks_csv(exported, unpacked):
    _, _, out = unpacked
    for made in (exported.complete, exported.interrupted):
        folder = out / made.id
        clips = sorted((folder / "clips").glob("*.mp4"))
        assert len(clips) == len(made.marks)
        for clip, mark in zip(clips, made.marks, strict=True):
            assert mark["tag"] in clip.name
            assert duration(clip) == pytest.approx(2.0, abs=0.15)
        with open(folder / "marks.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [float(r["seconds"]) for r in rows] == [m["media_time"] for m in made.marks]
        assert [r["principle"] for r in rows] == [MARK_TAGS[m["tag"]] for m in made.marks]
        assert [r["note"] for r in rows] == [m["note"] or "" for m in made.marks]
        assert [Path(r["clip_file"]).name for r in rows] == [c.name for c in clips]


def test_contact_sheet_and_offline_index(exported, unpacked):
    _, _, out = unpacked
    folder = out / exported.complete.id
    sheet = probe(folder / "contact-sheet.jpg")
    assert sheet["streams"][0]["codec_name"] == "mjpeg"
    thumbs = sorted((folder / "thumbs").glob("*.jpg"))
    assert len(thumbs) == len(exported.complete.marks)
    page = (folder / "index.html").read_text()
    assert "CASE-7" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for thumb in thumbs:
        assert f"thumbs/{thumb.name}" in page
    for clip in (folder / "clips").glob("*.mp4"):
        assert f"clips/{clip.name}" in page
    assert 'href="contact-sheet.jpg"' in page
    assert sheet["streams"][0]["width"] >= 2 * 480
    for mark in exported.complete.marks:
        assert MARK_TAGS[mark["tag"]] in page
    assert "Consent" in page and "not recorded" in page
    assert exported.complete.id in (out / "index.html").read_text()


def test_unpack_takes_the_export_folder_or_one_session_folder(exported, tmp_path):
    code, text = run(str(exported.root / EXPORT_DIR_NAME), "-i", str(exported.key),
                     "--out", str(tmp_path / "a"))
    assert code == EXIT_OK, text
    assert {p.name for p in (tmp_path / "a").iterdir() if p.is_dir()} == {
        exported.complete.id, exported.interrupted.id}
    one = exported.root / EXPORT_DIR_NAME / exported.complete.id
    code, text = run(str(one), "-i", str(exported.key), "--out", str(tmp_path / "b"))
    assert code == EXIT_OK, text
    assert {p.name for p in (tmp_path / "b").iterdir() if p.is_dir()} == {exported.complete.id}


def test_a_flipped_byte_on_the_stick_is_named_and_the_rest_still_written(exported, tmp_path):
    stick = exported.copy_to(tmp_path / "stick")
    victim = stick / EXPORT_DIR_NAME / exported.complete.id / "clip-0002.mp4.age"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x10
    victim.write_bytes(bytes(data))

    code, text = run(str(stick), "-i", str(exported.key), "--out", str(tmp_path / "out"))

    assert code == EXIT_SOME_FAILED
    assert "clip-0002.mp4.age" in text and "damaged" in text
    folder = tmp_path / "out" / exported.complete.id
    assert duration(next(folder.glob("session_*.mp4"))) == pytest.approx(5.0, abs=0.15)
    assert len(list((folder / "clips").glob("clip-01_*.mp4"))) == 1


def test_wrong_key_is_exit_2(exported, tmp_path):
    from appliance.vault.age import X25519Identity

    other = tmp_path / "other.txt"
    other.write_text(str(X25519Identity.generate()) + "\n")
    code, text = run(str(exported.root), "-i", str(other), "--out", str(tmp_path / "out"))
    assert code == EXIT_USAGE
    assert "key" in text


def test_protected_identity_asks_for_the_passphrase(exported, tmp_path):
    protected = tmp_path / "key.age"
    with open(protected, "wb") as fh:
        writer = AgeWriter(fh, [ScryptRecipient("correct horse", work_factor=10)])
        writer.write(exported.key.read_bytes())
        writer.close()
    code, text = run(str(exported.root / EXPORT_DIR_NAME / exported.complete.id),
                     "-i", str(protected), "--out", str(tmp_path / "out"),
                     passphrase="correct horse")
    assert code == EXIT_OK, text
    code, text = run(str(exported.root), "-i", str(protected), "--out", str(tmp_path / "o2"),
                     passphrase="wrong")
    assert code == EXIT_USAGE
    assert "passphrase" in text


def test_usage_errors_are_exit_2(exported, tmp_path):
    assert run()[0] == EXIT_USAGE
    assert run(str(tmp_path), "-i", str(exported.key))[0] == EXIT_USAGE
    missing_key = run(str(exported.root), "-i", str(tmp_path / "nope.txt"),
                      "--out", str(tmp_path / "out"))
    assert missing_key[0] == EXIT_USAGE


def test_default_out_is_in_the_current_folder_never_on_the_stick(exported, tmp_path):
    stick = exported.copy_to(tmp_path / "stick")
    code, text = run(str(stick), "-i", str(exported.key), cwd=stick)
    assert code == EXIT_USAGE
    assert "--out" in text
    assert not list(stick.glob("VIG-2*"))
    session = stick / EXPORT_DIR_NAME / exported.complete.id
    code, text = run(str(session), "-i", str(exported.key), cwd=stick / EXPORT_DIR_NAME)
    assert code == EXIT_USAGE
    assert not list((stick / EXPORT_DIR_NAME).glob("VIG-2*"))

    laptop = tmp_path / "laptop"
    laptop.mkdir()
    code, text = run(str(stick / EXPORT_DIR_NAME / exported.complete.id), "-i",
                     str(exported.key), cwd=laptop)
    assert code == EXIT_OK, text
    (made,) = laptop.glob("VIG-*")
    assert (made / exported.complete.id / "marks.csv").exists()


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise(exported, tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    one = str(exported.root / EXPORT_DIR_NAME / exported.complete.id)
    code = main([one, "-i", str(exported.key), "--out", str(tmp_path / "t")], stream=stream)
    assert code == EXIT_OK
    assert "\r" in stream.getvalue() and "%" in stream.getvalue()
    code, text = run(one, "-i", str(exported.key), "--out", str(tmp_path / "p"))
    assert "\r" not in text and "decrypting" in text


def test_a_session_without_manifest_still_unpacks_and_is_named_untrusted(exported, tmp_path):
    stick = exported.copy_to(tmp_path / "stick")
    folder = stick / EXPORT_DIR_NAME / exported.complete.id
    (folder / "MANIFEST.json").unlink()
    code, text = run(str(folder), "-i", str(exported.key), "--out", str(tmp_path / "out"))
    assert code == EXIT_SOME_FAILED, text
    assert "could not be checked" in text
    assert "UNTRUSTED" in text and "no readable MANIFEST.json signed by the device" in text
    video = next((tmp_path / "out" / exported.complete.id).glob("session_*.mp4"))
    assert duration(video) == pytest.approx(5.0, abs=0.15)


def test_a_missing_part_is_named_and_the_rest_still_written(exported, tmp_path):
    stick = exported.copy_to(tmp_path / "stick")
    (stick / EXPORT_DIR_NAME / exported.complete.id / "part-0002.mp4.age").unlink()
    code, text = run(str(stick), "-i", str(exported.key), "--out", str(tmp_path / "out"))
    assert code == EXIT_SOME_FAILED
    assert "part-0002.mp4.age is damaged: it is missing" in text
    folder = tmp_path / "out" / exported.complete.id
    assert duration(next(folder.glob("session_*.mp4"))) == pytest.approx(3.0, abs=0.15)
    assert len(list((folder / "clips").glob("*.mp4"))) == 2


def test_contact_sheet_tiles_are_labelled_and_missing_pictures_grey():
    import numpy as np

    from appliance.unpack.report import LABEL_HEIGHT, contact_sheet

    picture = np.full((40, 60, 3), 10, dtype=np.uint8)
    sheet = contact_sheet([picture, None], ["1  0:04", "2  1:00"])
    assert sheet.shape[0] == 8 + 40 + LABEL_HEIGHT + 8
    first_label = sheet[8 + 40 : 8 + 40 + LABEL_HEIGHT, 8 : 8 + 60]
    assert (first_label == 255).any()
    assert (sheet[8 : 8 + 40, 8 + 60 + 8 : 8 + 60 + 8 + 60] == 96).all()
    assert contact_sheet([None, None]) is None


def test_a_session_for_another_key_is_named_and_the_others_unpacked(exported, tmp_path):
    from appliance.export.exporter import Exporter
    from appliance.export.stick import FolderStick
    from tests.support.clocks import MinutePerReadClock
    from tests.support.sessions import make_session
    from tests.support.vaults import make_enrolled_vault

    stick = exported.copy_to(tmp_path / "stick")
    other_vault, _ = make_enrolled_vault(
        tmp_path / "other", wall_clock=MinutePerReadClock(1_800_000_000.0)
    )
    foreign = make_session(other_vault, part_seconds=(1.0,), mark_times=())
    Exporter(other_vault, device_name="other").export(FolderStick(stick))

    code, text = run(str(stick), "-i", str(exported.key), "--out", str(tmp_path / "out"))

    assert code == EXIT_SOME_FAILED
    assert foreign.id in text and "does not open" in text
    assert not (tmp_path / "out" / foreign.id).exists()
    assert (tmp_path / "out" / exported.complete.id / "marks.csv").exists()


def test_wrong_key_leaves_no_output_folder(exported, tmp_path):
    from appliance.vault.age import X25519Identity

    other = tmp_path / "other.txt"
    other.write_text(str(X25519Identity.generate()) + "\n")
    code, _ = run(str(exported.root), "-i", str(other), "--out", str(tmp_path / "out"))
    assert code == EXIT_USAGE
    assert not (tmp_path / "out").exists()


def test_a_huge_manifest_or_mark_on_the_stick_is_named_not_read(exported, tmp_path):
    stick = exported.copy_to(tmp_path / "stick")
    folder = stick / EXPORT_DIR_NAME / exported.complete.id
    with open(folder / "MANIFEST.json", "r+b") as fh:
        fh.truncate(256 * 1024 * 1024)
    with open(folder / "mark-0001.json.age", "r+b") as fh:
        fh.truncate(256 * 1024 * 1024)
    code, text = run(str(folder), "-i", str(exported.key), "--out", str(tmp_path / "out"))
    assert code == EXIT_SOME_FAILED, text
    assert "MANIFEST.json is over 1048576 bytes, not one the appliance wrote" in text
    assert "mark-0001.json.age cannot be read: mark-0001.json.age is over 1048576 bytes" in text
