"""The CLI front end of the vault: keys, sessions, audit."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import stat
import time

import pytest

from appliance.cli import main
from appliance.config import RecordingConfig
from appliance.vault import Vault
from appliance.vault.age import (
    AgeReader,
    PrivateKeyGivenAsRecipient,
    ScryptIdentity,
    X25519Identity,
    X25519Recipient,
    encrypt_bytes,
    parse_identity_file,
)
from tests.support.vaults import NO_RESERVE, make_enrolled_vault
from tests.tooling import require_tool


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def cli(data_dir, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        status = main(["--data-dir", str(data_dir), *argv], environ={})
        out, err = capsys.readouterr()
        return status, out, err

    return run


#: 2025-11-25T12:05:05Z, the start shown in the session list.
LISTED_START = 1_764_072_305.0


def _vault(data_dir) -> Vault:
    return Vault(data_dir, NO_RESERVE, RecordingConfig(), wall_clock=lambda: LISTED_START)


# --- keys new ----------------------------------------------------------------------------


def test_keys_new_writes_a_private_key_file_and_ends_with_the_recipient(cli, tmp_path):
    key_file = tmp_path / "practitioner.key"
    status, out, _ = cli("keys", "new", "--out", str(key_file))
    assert status == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    (identity,) = parse_identity_file(key_file.read_text())
    lines = out.strip().splitlines()
    assert lines[-1] == str(identity.recipient)
    assert str(identity) not in out
    assert "cannot be opened by anyone" in out
    assert "recovery recipient" in out


def test_keys_new_post_quantum_writes_a_hybrid_key_the_vault_accepts(cli, tmp_path):
    key_file = tmp_path / "practitioner-pq.key"
    status, out, _ = cli("keys", "new", "--post-quantum", "--out", str(key_file))
    assert status == 0
    (identity,) = parse_identity_file(key_file.read_text())
    recipient = out.strip().splitlines()[-1]
    assert recipient == str(identity.recipient) and recipient.startswith("age1pq1")
    status, _, err = cli("keys", "add", recipient)
    assert status == 0 and "Warning" not in err
    assert cli("keys", "list")[1].count("age1pq1") == 1
    classic = cli("keys", "new", "--out", str(tmp_path / "classic.key"))[1].splitlines()[-1]
    status, _, err = cli("keys", "add", classic)
    assert status == 0 and "quantum computer could open" in " ".join(err.split())


def test_keys_new_never_overwrites_without_force(cli, tmp_path):
    key_file = tmp_path / "practitioner.key"
    key_file.write_text("precious")
    status, out, _ = cli("keys", "new", "--out", str(key_file))
    assert status == 1 and out == ""
    assert key_file.read_text() == "precious"
    assert cli("keys", "new", "--out", str(key_file), "--force")[0] == 0
    assert parse_identity_file(key_file.read_text())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["practitioner.key"]


def test_keys_new_with_a_passphrase_writes_an_age_scrypt_file(cli, tmp_path, monkeypatch):
    key_file = tmp_path / "practitioner.key.age"
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    status, out, _ = cli("keys", "new", "--out", str(key_file), "--passphrase")
    assert status == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"AGE-SECRET-KEY-1" not in key_file.read_bytes()
    with open(key_file, "rb") as source:
        text = AgeReader(source, [ScryptIdentity("correct horse battery staple")]).read()
    (identity,) = parse_identity_file(text.decode())
    assert out.strip().splitlines()[-1] == str(identity.recipient)
    assert "passphrase" in out


def _run_with_a_terminal(argv: list[str], answer: str) -> int:
    """Run `argv` with a pseudo-terminal, typing `answer` at its passphrase prompt.

    `age` reads passphrases from the terminal only, never from a pipe.
    """
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes age
        os.execv(argv[0], argv)
    seen, sent = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        seen += data
        if not sent and b"passphrase" in seen.lower():
            os.write(fd, answer.encode() + b"\n")
            sent = True
    os.close(fd)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_the_age_command_opens_recordings_with_the_passphrase_protected_key(
    cli, tmp_path, monkeypatch
):
    age = require_tool("age", "age")
    key_file = tmp_path / "practitioner.key.age"
    monkeypatch.setattr("sys.stdin", io.StringIO("open sesame\n"))
    status, out, _ = cli("keys", "new", "--out", str(key_file), "--passphrase")
    recipient = X25519Recipient.parse(out.strip().splitlines()[-1])
    recording = tmp_path / "part-0001.mp4.age"
    recording.write_bytes(encrypt_bytes(b"a recording", [recipient]))
    opened = tmp_path / "part-0001.mp4"
    status = _run_with_a_terminal(
        [age, "-d", "-i", str(key_file), "-o", str(opened), str(recording)], "open sesame"
    )
    assert status == 0
    assert opened.read_bytes() == b"a recording"


def test_keys_new_refuses_an_empty_passphrase(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    status, _, _ = cli("keys", "new", "--out", str(tmp_path / "k"), "--passphrase")
    assert status == 1
    assert not (tmp_path / "k").exists()


# --- keys add / list / remove ---------------------------------------------------------------


def test_keys_add_list_remove(cli, data_dir):
    identity = X25519Identity.generate()
    status, _, err = cli("keys", "add", str(identity.recipient), "--comment", "laptop")
    assert status == 0
    assert os.path.abspath(data_dir) in err  # the data dir is named on stderr
    status, out, _ = cli("keys", "list")
    assert out.splitlines() == [f"{identity.recipient}\tlaptop"]
    assert cli("keys", "add", str(identity.recipient))[0] == 0  # enrolling again is harmless
    assert cli("keys", "remove", str(identity.recipient))[0] == 0
    assert cli("keys", "list")[1] == ""
    assert cli("keys", "remove", str(identity.recipient))[0] == 1


def test_keys_add_refuses_an_invalid_recipient(cli, data_dir):
    status, out, err = cli("keys", "add", "age1thisisnotakey")
    assert status == 1 and out == ""
    assert "vig-appliance:" in err
    assert not (data_dir / "recipients.txt").exists()


def test_keys_add_refuses_a_private_key_without_echoing_it(cli, data_dir):
    secret = str(X25519Identity.generate())
    status, out, err = cli("keys", "add", secret)
    assert status == 1
    assert secret not in out + err
    assert secret[15:40] not in out + err
    assert secret.lower()[15:40] not in (out + err).lower()
    assert not (data_dir / "recipients.txt").exists()


def test_the_handler_raises_the_specific_refusal(data_dir):
    from appliance.cli import parse_args
    from appliance.cli.context import CliContext

    args = parse_args(
        ["--data-dir", str(data_dir), "keys", "add", str(X25519Identity.generate())]
    )
    ctx = CliContext.from_args(args, {})
    with pytest.raises(PrivateKeyGivenAsRecipient):
        args.handler(ctx, args)


# --- sessions list ---------------------------------------------------------------------------


def test_sessions_list_shows_what_is_stored(cli, data_dir):
    assert cli("sessions", "list")[1] == ""
    vault, _ = make_enrolled_vault(data_dir, wall_clock=lambda: LISTED_START)
    session = vault.create_session({"case_code": "C-9"})
    part = session.open_part()
    part.write(b"x" * 5000)
    part.close()
    session.write_mark(1, {})
    session.write_mark(2, {})
    session.finish("complete", duration_s=754.4)

    status, out, _ = cli("sessions", "list")
    assert status == 0
    header, row = out.splitlines()
    assert header.split() == ["ID", "STATE", "START", "(UTC)", "DURATION", "SIZE", "MARKS"]
    cells = row.split()
    assert cells[:4] == [session.id, "complete", "2025-11-25T12:05:05Z", "0:12:34"]
    assert cells[-1] == "2"

    status, out, _ = cli("sessions", "list", "--json")
    (document,) = json.loads(out)
    assert document["id"] == session.id and document["state"] == "complete"
    assert document["mark_count"] == 2 and document["duration_s"] == 754.4
    assert document["size_bytes"] == sum(
        p.stat().st_size for p in (data_dir / "sessions" / session.id).iterdir())
    assert "C-9" not in out


# --- audit verify ----------------------------------------------------------------------------


def test_audit_verify_passes_and_then_names_a_tampered_entry(cli, data_dir):
    for _ in range(3):
        _vault(data_dir).add_recipient(str(X25519Identity.generate().recipient))
    status, out, _ = cli("audit", "verify")
    assert status == 0 and "3 entries" in out
    log = data_dir / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"recipient_added", b"recipient_addeD")
    log.write_bytes(b"".join(lines))
    status, out, _ = cli("audit", "verify")
    assert status == 1
    assert "entry 2 " in out
    copy = data_dir.parent / "audit-copy.log"
    copy.write_bytes(b"".join(lines[:1]))
    assert cli("audit", "verify", "--file", str(copy))[0] == 0


def test_audit_verify_without_a_log(cli):
    assert cli("audit", "verify")[0] == 0


def test_key_files_are_not_world_readable_even_with_a_loose_umask(cli, tmp_path):
    old = os.umask(0)
    try:
        cli("keys", "new", "--out", str(tmp_path / "k"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_a_forced_key_overwrite_survives_a_power_cut_right_after_it(tmp_path):
    from appliance.cli.keys_cmd import _write_private_file
    from appliance.vault.lossy_filesystem import LossyFileSystem

    fs = LossyFileSystem(tmp_path)
    key_file = tmp_path / "key.txt"
    _write_private_file(key_file, b"old key\n", force=True, fs=fs)
    _write_private_file(key_file, b"new key\n", force=True, fs=fs)
    fs.power_cut()
    assert key_file.read_bytes() == b"new key\n"
    assert [p.name for p in tmp_path.iterdir()] == ["key.txt"]


def test_a_forced_key_overwrite_is_private_even_with_a_loose_umask(cli, tmp_path):
    (tmp_path / "k").write_text("an old key\n")
    os.chmod(tmp_path / "k", 0o644)
    old = os.umask(0)
    try:
        assert cli("keys", "new", "--out", str(tmp_path / "k"), "--force")[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600
