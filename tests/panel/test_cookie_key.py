"""The panel's cookie key is made once, and a power cut right after cannot lose it."""

from __future__ import annotations

import os
import stat

from appliance.panel.pin_store import load_or_create_secret, panel_files
from appliance.vault.lossy_filesystem import LossyFileSystem


def test_a_new_cookie_key_survives_a_power_cut_right_after_it_is_made(tmp_path):
    fs = LossyFileSystem(tmp_path / "data")
    secret_path = panel_files(tmp_path / "data")[1]
    secret = load_or_create_secret(secret_path, fs)
    fs.power_cut()
    assert secret_path.read_bytes() == secret
    assert [p.name for p in secret_path.parent.iterdir()] == [secret_path.name]  # no temp


def test_a_key_made_in_a_data_dir_that_did_not_exist_survives_too(tmp_path):
    fs = LossyFileSystem(tmp_path)
    secret_path = panel_files(tmp_path / "new" / "data")[1]
    secret = load_or_create_secret(secret_path, fs)
    fs.power_cut()
    assert secret_path.read_bytes() == secret


def test_the_cookie_key_is_private_even_with_a_loose_umask(tmp_path):
    old = os.umask(0)
    try:
        secret_path = panel_files(tmp_path)[1]
        load_or_create_secret(secret_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(secret_path.stat().st_mode) == 0o600
    assert load_or_create_secret(secret_path) == secret_path.read_bytes()


def test_on_the_real_file_layer_the_data_dir_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced_dirs = []
    real_fsync = os.fsync

    def spy(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced_dirs.append((os.fstat(fd).st_ino, secret_path.exists()))
        real_fsync(fd)

    secret_path = panel_files(tmp_path)[1]
    monkeypatch.setattr(os, "fsync", spy)
    load_or_create_secret(secret_path)
    assert (tmp_path.stat().st_ino, True) in synced_dirs
