"""Export to a folder stick: copy, verify, manifest, delete, audit; age opens what it wrote."""

from __future__ import annotations

import hashlib
import json
import subprocess

from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME, Manifest
from appliance.export.progress import SAFE_TO_REMOVE, ExportProgress
from appliance.export.signature import SIGNATURE_NAME
from appliance.export.stick import FolderStick
from appliance.vault.age import TruncatedStream, salvage
from tests.tooling import require_tool


def export_dir(stick_root):
    return stick_root / EXPORT_DIR_NAME


def test_export_copies_verifies_and_deletes_both_sessions(recorded, tmp_path):
    before = {
        s.id: (recorded.ciphertext(s.id), s) for s in recorded.vault.list_sessions()
    }
    stick = tmp_path / "usb" / "STICK"
    stick.mkdir(parents=True)
    updates: list[ExportProgress] = []

    result = Exporter(recorded.vault, device_name="vig-01").export(
        FolderStick(stick), progress=updates.append
    )

    assert sorted(result.exported) == sorted(before)
    assert result.ok and result.safe_to_remove
    assert recorded.vault.list_sessions() == []
    for session_id, (files, info) in before.items():
        folder = export_dir(stick) / session_id
        assert {p.name for p in folder.iterdir()} == set(files) | {MANIFEST_NAME, SIGNATURE_NAME}
        for name, data in files.items():
            assert (folder / name).read_bytes() == data
        manifest = Manifest.from_json((folder / MANIFEST_NAME).read_bytes(), "m")
        assert manifest.session_id == session_id
        assert manifest.device == "vig-01"
        assert manifest.state == info.state
        assert {f.name: (f.size, f.sha256) for f in manifest.files} == {
            name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in files.items()
        }
    interrupted = Manifest.from_json(
        (export_dir(stick) / recorded.interrupted.id / MANIFEST_NAME).read_bytes(), "m"
    )
    assert interrupted.state == "interrupted"
    assert [f.name for f in interrupted.files if not f.complete] == ["part-0002.mp4.age"]
    assert (export_dir(stick) / "README.txt").read_text().count("vig-unpack") >= 2
    assert updates[-1].phase == SAFE_TO_REMOVE
    assert updates[-1].files_done == updates[-1].files_total == sum(
        len(files) for files, _ in before.values()
    )
    assert updates[-1].bytes_done == updates[-1].bytes_total


def test_audit_records_export_and_deletion_with_hashes_and_is_copied(recorded, tmp_path):
    stick = tmp_path / "STICK"
    stick.mkdir()
    hashes = {
        s.id: {f.name: f.sha256 for f in s.files} for s in recorded.vault.list_sessions()
    }
    Exporter(recorded.vault, device_name="vig 01/ü").export(FolderStick(stick))

    entries = recorded.vault.audit.entries()
    assert recorded.vault.audit.verify().ok
    for session_id, files in hashes.items():
        events = [e["event"] for e in entries if e.get("session") == session_id]
        assert events[-4:] == ["session_exported", "session_exported_and_deleted",
                               "session_delete_started", "session_deleted"]
        done = next(e for e in entries if e["event"] == "session_exported_and_deleted"
                    and e["session"] == session_id)
        recorded_hashes = dict(item.split("=") for item in done["files"].split(";"))
        assert recorded_hashes == files
    copy = export_dir(stick) / "audit-vig-01.log"
    assert copy.read_bytes() == recorded.vault.audit.path.read_bytes()


def test_age_decrypts_complete_session_and_releases_interrupted_part_then_fails(
    recorded, tmp_path
):
    age = require_tool("age", "age")
    key = tmp_path / "key.txt"
    key.write_text(str(recorded.identity) + "\n")
    stick = tmp_path / "STICK"
    stick.mkdir()
    Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))

    complete = export_dir(stick) / recorded.complete.id
    for path in sorted(complete.glob("*.age")):
        done = subprocess.run([age, "-d", "-i", str(key), str(path)], capture_output=True)
        assert done.returncode == 0, (path.name, done.stderr)
        assert done.stdout
    session = json.loads(subprocess.run(
        [age, "-d", "-i", str(key), str(complete / "session.json.age")],
        capture_output=True, check=True).stdout)
    assert session["case_code"] == "CASE-7"

    last = export_dir(stick) / recorded.interrupted.id / "part-0002.mp4.age"
    done = subprocess.run([age, "-d", "-i", str(key), str(last)], capture_output=True)
    assert done.returncode != 0
    assert done.stderr
    with open(last, "rb") as fh, open(tmp_path / "salvaged", "wb") as out:
        report = salvage(fh, [recorded.identity], out)
    assert isinstance(report.reason, TruncatedStream)
    assert report.plaintext_bytes > 0
    assert done.stdout == (tmp_path / "salvaged").read_bytes()


def test_reexport_of_identical_files_is_idempotent_and_cleans_temporaries(recorded, tmp_path):
    stick = tmp_path / "STICK"
    session_id = recorded.complete.id
    files = recorded.ciphertext(session_id)
    folder = export_dir(stick) / session_id
    folder.mkdir(parents=True)
    (folder / "part-0001.mp4.age").write_bytes(files["part-0001.mp4.age"])
    (folder / "part-0002.mp4.age.vig-tmp").write_bytes(b"left by a pulled stick")
    gone = export_dir(stick) / "20200101-000000-gone"
    gone.mkdir()
    (gone / "part-0001.mp4.age.vig-tmp").write_bytes(b"from a session deleted since")

    everything = sum(
        len(d) for s in (recorded.complete, recorded.interrupted)
        for d in recorded.ciphertext(s.id).values()
    )

    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))

    assert session_id in result.exported
    assert not list(export_dir(stick).rglob("*.vig-tmp"))
    assert result.bytes_copied == everything - len(files["part-0001.mp4.age"])
    assert (folder / "part-0002.mp4.age").read_bytes() == files["part-0002.mp4.age"]


def test_same_manifest_again_is_accepted(recorded, tmp_path):
    stick = tmp_path / "STICK"
    stick.mkdir()
    exporter = Exporter(recorded.vault, device_name="vig", wall_clock=lambda: 1.0)
    manifest = exporter._manifest(recorded.vault.session(recorded.complete.id))
    folder = export_dir(stick) / recorded.complete.id
    folder.mkdir(parents=True)
    (folder / MANIFEST_NAME).write_bytes(
        manifest.to_json().replace(b"1970-01-01T00:00:01Z", b"2000-01-01T00:00:00Z")
    )
    result = exporter.export(FolderStick(stick))
    assert recorded.complete.id in result.exported


def test_nothing_to_export_still_finishes_safely(enrolled_vault, tmp_path):
    vault = enrolled_vault.vault
    stick = tmp_path / "STICK"
    stick.mkdir()
    result = Exporter(vault, device_name="vig").export(FolderStick(stick))
    assert result.exported == [] and result.safe_to_remove
    assert (export_dir(stick) / "README.txt").exists()
