"""`vig-appliance export --to DIR`: the exporter behind the command line."""

from __future__ import annotations

from appliance.cli import main
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME


def test_export_command_exports_verifies_and_deletes(recorded, tmp_path, capsys):
    ids = sorted(s.id for s in recorded.vault.list_sessions())
    target = tmp_path / "handover"

    code = main(["--data-dir", str(recorded.data_dir), "export", "--to", str(target)],
                environ={})

    assert code == 0
    out = capsys.readouterr()
    assert "2 session(s) exported" in out.out
    assert "safe to remove" in out.out
    assert str(recorded.data_dir.resolve()) in out.err
    for session_id in ids:
        assert (target / EXPORT_DIR_NAME / session_id / MANIFEST_NAME).exists()
    assert recorded.vault.list_sessions() == []


def test_export_command_reports_a_kept_session_with_status_1(recorded, tmp_path, capsys):
    target = tmp_path / "handover"
    folder = target / EXPORT_DIR_NAME / recorded.complete.id
    folder.mkdir(parents=True)
    (folder / "session.json.age").write_bytes(b"someone else's file")

    code = main(["--data-dir", str(recorded.data_dir), "export", "--to", str(target)],
                environ={})

    assert code == 1
    out = capsys.readouterr().out
    assert f"Kept {recorded.complete.id}" in out and "session.json.age" in out
    assert [s.id for s in recorded.vault.list_sessions()] == [recorded.complete.id]


def test_export_command_to_a_file_fails_plainly(recorded, tmp_path, capsys):
    target = tmp_path / "file-not-folder"
    target.write_text("x")
    code = main(["--data-dir", str(recorded.data_dir), "export", "--to", str(target)],
                environ={})
    assert code == 1
    assert f"Cannot use {target}" in capsys.readouterr().err
    assert len(recorded.vault.list_sessions()) == 2
