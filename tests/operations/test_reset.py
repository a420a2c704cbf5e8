"""`vig-appliance reset`: refuses unexported sessions, audits before it wipes."""

from __future__ import annotations

import io
import json

import pytest

from appliance.cli import main, parse_args
from appliance.cli.context import CliContext
from appliance.cli.reset_cmd import NotConfirmed
from appliance.config import RecordingConfig, StorageConfig
from appliance.operations.factory_reset import UnexportedSessions, factory_reset
from appliance.panel.login_guard import login_files
from appliance.panel.login_sessions import LoginSessions
from appliance.panel.pin_store import PinStore, load_or_create_secret, panel_files
from appliance.panel.remembered_devices import RememberedDevices
from appliance.panel.uptime import Uptime
from appliance.vault.audit import AuditLog, line_hash
from appliance.vault.device_key import DEVICE_KEY_FILE, fingerprint, public_key_bytes
from appliance.vault.filesystem import OsFileSystem
from appliance.vault.store import Vault
from tests.support.vaults import make_enrolled_vault


class WatchedFileSystem(OsFileSystem):
    """Notes, at every unlink under sessions/, which audit events were already durable."""

    def __init__(self, audit_path):
        self.audit_path = audit_path
        self.unlinks: list[tuple[str, list[str]]] = []
        self.replaced_log: bytes | None = None

    def unlink(self, path):
        if "sessions" in path.parts:
            lines = self.audit_path.read_text().splitlines()
            events = [json.loads(line)["event"] for line in lines]
            self.unlinks.append((path.name, events))
        super().unlink(path)

    def replace(self, src, dst):
        if dst == self.audit_path:
            self.replaced_log = dst.read_bytes()  # the old chain, as it was at the end
        super().replace(src, dst)


def make_device(data_dir, fs=None):
    vault, _ = make_enrolled_vault(data_dir, fs=fs)
    pin_path, secret_path = panel_files(data_dir)
    PinStore(pin_path).set("246810")
    load_or_create_secret(secret_path)
    devices_file, sessions_file = login_files(data_dir)
    RememberedDevices(devices_file).remember(PinStore(pin_path).fingerprint())
    LoginSessions(sessions_file, Uptime()).open()
    ids = []
    for _ in range(2):
        session = vault.create_session({"case_code": "CASE-7"})
        session.write_mark(1, {"number": 1, "media_time": 1.0, "tag": "guiding"})
        part = session.open_part()
        part.write(b"\x00" * 1000)
        part.close()
        session.finish("complete", None)
        ids.append(session.id)
    return vault, ids


def handler(data_dir, *args):
    """Run the command's handler directly, so its refusal is seen as the typed error."""
    parsed = parse_args(
        ["--data-dir", str(data_dir), "reset", "--systemctl", "/nonexistent", *args]
    )
    return parsed.handler(CliContext.from_args(parsed, {}), parsed)


def cli(data_dir, *args):
    return main(["--data-dir", str(data_dir), "reset", "--systemctl", "/nonexistent", *args])


def test_reset_refuses_while_sessions_are_not_exported(tmp_path, capsys):
    vault, ids = make_device(tmp_path / "data")
    before = vault.audit.path.read_bytes()
    with pytest.raises(UnexportedSessions):
        handler(tmp_path / "data", "--yes")
    assert cli(tmp_path / "data", "--yes") == 1
    assert sorted(s.id for s in vault.list_sessions()) == sorted(ids)
    assert vault.recipient_entries() and all(p.exists() for p in panel_files(tmp_path / "data"))
    assert vault.audit.path.read_bytes() == before  # nothing audited, nothing erased
    with pytest.raises(UnexportedSessions):
        factory_reset(vault, force=False)


def test_exported_sessions_do_not_block_a_reset(tmp_path):
    vault, ids = make_device(tmp_path / "data")
    for session_id in ids:
        vault.mark_exported(session_id, "VIG-EXPORT")
    assert cli(tmp_path / "data", "--yes") == 0
    assert vault.list_sessions() == []


def test_forced_reset_audits_before_wiping_and_leaves_one_anchored_entry(tmp_path):
    data = tmp_path / "data"
    _, ids = make_device(data)
    fs = WatchedFileSystem(data / "audit.log")
    vault = Vault(data, StorageConfig(), RecordingConfig(), fs=fs)
    old_lines = vault.audit.path.read_bytes().splitlines()

    report = factory_reset(vault, force=True)

    # Every session file was removed only after the reset was durably audited.
    assert fs.unlinks and all("factory_reset_started" in events for _, events in fs.unlinks)
    assert not (data / "sessions").exists()
    assert not (data / "recipients.txt").exists()
    assert not any(p.exists() for p in panel_files(data))
    assert not any(p.exists() for p in login_files(data))  # no phone stays trusted
    (entry,) = vault.audit.entries()
    assert entry["event"] == "factory_reset" and entry["forced"] is True
    assert entry["sessions_deleted"] == 2 and entry["unexported_deleted"] == 2
    # The old chain went on to delete each session and close with factory_reset_wiped;
    # the new chain's first entry names its head, so an exported copy can be matched.
    final_old = fs.replaced_log.splitlines()
    assert final_old[: len(old_lines)] == old_lines
    events = [json.loads(line)["event"] for line in final_old[len(old_lines) :]]
    assert events == ["factory_reset_started",
                      *["session_delete_started", "session_deleted"] * len(ids),
                      "factory_reset_wiped"]
    assert entry["previous_log_head"] == line_hash(final_old[-1])
    assert entry["previous_log_entries"] == report.previous_log_entries == len(final_old)
    assert vault.audit.verify().ok
    assert not (data / "audit.log.new").exists()
    text = (data / "audit.log").read_text()
    assert "CASE-7" not in text and "practitioner" not in text


def test_cli_force_wipes_everything(tmp_path, capsys):
    data = tmp_path / "data"
    make_device(data)
    (data / ".recipients.txt.tmp").write_text("left by a power cut")
    (data / "panel-pin.tmp").write_text("left by a power cut")
    old_key = Vault(data, StorageConfig(), RecordingConfig()).device_key()
    assert cli(data, "--force", "--yes") == 0
    out = capsys.readouterr().out
    assert "erased 2 session(s) (2 never exported)" in out
    assert sorted(p.name for p in data.iterdir()) == ["audit.log", DEVICE_KEY_FILE]
    new_key = Vault(data, StorageConfig(), RecordingConfig()).device_key()
    assert public_key_bytes(new_key) != public_key_bytes(old_key)
    (entry,) = AuditLog(data / "audit.log", OsFileSystem()).entries()
    assert entry["device_key"] == fingerprint(public_key_bytes(new_key))


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_confirmation_on_a_terminal(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    make_device(data)
    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert cli(data, "--force") == 1
    assert (data / "sessions").exists()
    monkeypatch.setattr("sys.stdin", Terminal("RESET\n"))
    assert cli(data, "--force") == 0
    assert not (data / "sessions").exists()


def test_no_terminal_and_no_yes_is_refused(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    make_device(data)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(NotConfirmed):
        handler(data, "--force")
    assert cli(data, "--force") == 1
    assert (data / "sessions").exists()
