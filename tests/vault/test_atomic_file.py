"""A replace is durable on its own: nothing after it has to fsync the directory for it."""

from __future__ import annotations

from appliance.vault.atomic_file import replace_atomically, replace_atomically_with
from appliance.vault.lossy_filesystem import LossyFileSystem


def durable_file(tmp_path, content: bytes):
    fs = LossyFileSystem(tmp_path)
    fs.fsync_dir(tmp_path)
    replace_atomically(fs, tmp_path / "doc", content)
    return fs


def test_a_replace_survives_a_power_cut_right_after_it(tmp_path):
    fs = durable_file(tmp_path, b"old")
    replace_atomically(fs, tmp_path / "doc", b"new")
    fs.power_cut()
    assert (tmp_path / "doc").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc"]


def test_a_streamed_replace_survives_a_power_cut_right_after_it(tmp_path):
    fs = durable_file(tmp_path, b"old")
    replace_atomically_with(fs, tmp_path / "doc", lambda file: file.write(b"streamed"))
    fs.power_cut()
    assert (tmp_path / "doc").read_bytes() == b"streamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc"]
