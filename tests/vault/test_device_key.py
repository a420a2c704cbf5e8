"""The device's signing key: made once on the device, kept, audited; a damaged one replaced."""

from __future__ import annotations

from appliance.cli import main
from appliance.vault.device_key import (
    DEVICE_KEY_FILE,
    fingerprint,
    public_key_bytes,
    read_device_key,
)


def test_the_key_is_made_once_kept_private_and_audited(vault, make_vault):
    key = vault.device_key()
    path = vault.data_dir / DEVICE_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert public_key_bytes(make_vault().device_key()) == public_key_bytes(key)
    created = [e for e in vault.audit.entries() if e["event"] == "device_key_created"]
    assert [e["fingerprint"] for e in created] == [fingerprint(public_key_bytes(key))]


def test_a_damaged_key_file_is_replaced_and_that_is_audited(vault):
    old = vault.device_key()
    (vault.data_dir / DEVICE_KEY_FILE).write_bytes(b"not a key")
    new = vault.device_key()
    assert public_key_bytes(new) != public_key_bytes(old)
    assert vault.audit.entries()[-1]["event"] == "device_key_replaced_unreadable"


def test_the_cli_shows_the_fingerprint_vig_unpack_names(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "device-key"], environ={}) == 0
    out = capsys.readouterr().out
    key = read_device_key(data / DEVICE_KEY_FILE)
    assert key is not None
    assert f"signed by {fingerprint(public_key_bytes(key))}." in out
