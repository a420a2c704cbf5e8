"""Export onto a real FAT32 filesystem (mkfs.vfat image mounted with fusefat)."""

from __future__ import annotations

import io
import subprocess

import pytest

from appliance.export.errors import StickReadOnly
from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME, Manifest
from appliance.export.stick import FolderStick
from appliance.unpack.cli import main as unpack_main
from tests.export.fatimage import make_fat32, mounted_fat
from tests.tooling import require_tool


def test_export_to_fat32_verifies_and_the_filesystem_stays_clean(recorded, tmp_path):
    image = tmp_path / "stick.img"
    make_fat32(image)
    before = {s.id: recorded.ciphertext(s.id) for s in recorded.vault.list_sessions()}

    with mounted_fat(image, tmp_path / "mnt") as root:
        result = Exporter(recorded.vault, device_name="vig").export(FolderStick(root))
        assert sorted(result.exported) == sorted(before)
    assert recorded.vault.list_sessions() == []

    fsck = require_tool("fsck.vfat", "dosfstools")
    check = subprocess.run([fsck, "-n", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    with mounted_fat(image, tmp_path / "again", read_only=True) as root:
        for session_id, files in before.items():
            folder = root / EXPORT_DIR_NAME / session_id
            for name, data in files.items():
                assert (folder / name).read_bytes() == data
            manifest = Manifest.from_json((folder / MANIFEST_NAME).read_bytes(), "m")
            assert {f.name for f in manifest.files} == set(files)
        key = tmp_path / "key.txt"
        key.write_text(f"{recorded.identity}\n")
        code = unpack_main([str(root), "-i", str(key), "--out", str(tmp_path / "laptop")],
                           stream=io.StringIO())
        assert code == 0
    for session_id in before:
        assert list((tmp_path / "laptop" / session_id).glob("session_*.mp4"))


def test_read_only_stick_is_refused_and_nothing_deleted(recorded, tmp_path):
    image = tmp_path / "stick.img"
    make_fat32(image)
    ids = sorted(s.id for s in recorded.vault.list_sessions())
    with (
        mounted_fat(image, tmp_path / "mnt", read_only=True) as root,
        pytest.raises(StickReadOnly),
    ):
        Exporter(recorded.vault, device_name="vig").export(FolderStick(root))
    assert sorted(s.id for s in recorded.vault.list_sessions()) == ids
