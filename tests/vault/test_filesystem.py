"""The lossy file layer must lose exactly what a real disk may lose at a power cut."""

from __future__ import annotations

import errno
import random

import pytest

from appliance.vault.filesystem import make_dirs_durably
from appliance.vault.lossy_filesystem import LossyFileSystem, PowerCut


def test_unsynced_bytes_are_lost_and_synced_bytes_survive(tmp_path):
    fs = LossyFileSystem(tmp_path)
    fs.fsync_dir(tmp_path)
    with fs.open_new(tmp_path / "a") as f:
        f.write(b"durable")
        fs.fsync(f)
        fs.fsync_dir(tmp_path)
        f.write(b"-lost")
        f.flush()
        assert (tmp_path / "a").read_bytes() == b"durable-lost"
        fs.power_cut()
    assert (tmp_path / "a").read_bytes() == b"durable"


def test_a_new_file_without_a_directory_fsync_disappears(tmp_path):
    fs = LossyFileSystem(tmp_path)
    with fs.open_new(tmp_path / "a") as f:
        f.write(b"x")
        fs.fsync(f)
    fs.power_cut()
    assert not (tmp_path / "a").exists()


def test_an_unsynced_rename_is_undone(tmp_path):
    (tmp_path / "old").write_bytes(b"old")
    fs = LossyFileSystem(tmp_path)
    with fs.open_new(tmp_path / "new.tmp") as f:
        f.write(b"new")
        fs.fsync(f)
    fs.replace(tmp_path / "new.tmp", tmp_path / "old")
    assert (tmp_path / "old").read_bytes() == b"new"
    fs.power_cut()
    assert (tmp_path / "old").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_a_synced_rename_and_unlink_survive(tmp_path):
    (tmp_path / "gone").write_bytes(b"x")
    fs = LossyFileSystem(tmp_path)
    with fs.open_new(tmp_path / "new.tmp") as f:
        f.write(b"new")
        fs.fsync(f)
    fs.replace(tmp_path / "new.tmp", tmp_path / "kept")
    fs.unlink(tmp_path / "gone")
    fs.fsync_dir(tmp_path)
    fs.power_cut()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
    assert (tmp_path / "kept").read_bytes() == b"new"


def test_directories_need_their_parent_fsynced(tmp_path):
    fs = LossyFileSystem(tmp_path)
    make_dirs_durably(fs, tmp_path / "kept" / "inner")
    fs.mkdir(tmp_path / "lost")
    fs.power_cut()
    assert (tmp_path / "kept" / "inner").is_dir()
    assert not (tmp_path / "lost").exists()


def test_open_files_die_at_the_cut(tmp_path):
    fs = LossyFileSystem(tmp_path)
    f = fs.open_new(tmp_path / "a")
    fs.power_cut()
    with pytest.raises(PowerCut):
        f.write(b"after")


def test_cut_after_interrupts_the_nth_operation(tmp_path):
    fs = LossyFileSystem(tmp_path)
    fs.fsync_dir(tmp_path)
    f = fs.open_new(tmp_path / "a")
    fs.fsync_dir(tmp_path)
    fs.cut_after(3)
    f.write(b"1")
    fs.fsync(f)
    with pytest.raises(PowerCut):
        f.write(b"2")
    assert (tmp_path / "a").read_bytes() == b"1"


def test_a_torn_tail_keeps_a_prefix_of_what_followed_the_sync(tmp_path):
    fs = LossyFileSystem(tmp_path)
    with fs.open_new(tmp_path / "a") as f:
        fs.fsync_dir(tmp_path)
        f.write(b"sync")
        fs.fsync(f)
        f.write(b"0123456789")
        f.flush()
        fs.power_cut(random.Random(3))
    content = (tmp_path / "a").read_bytes()
    assert b"sync0123456789".startswith(content)
    assert content.startswith(b"sync")


def test_fake_free_space_shrinks_as_files_grow_and_runs_out(tmp_path):
    fs = LossyFileSystem(tmp_path, free_bytes=100)
    with fs.open_new(tmp_path / "a") as f:
        f.write(b"x" * 60)
        f.flush()
        assert fs.free_bytes(tmp_path) == 40
        with pytest.raises(OSError) as caught:
            f.write(b"y" * 41)
        assert caught.value.errno == errno.ENOSPC


def test_paths_outside_the_disk_are_refused(tmp_path):
    fs = LossyFileSystem(tmp_path / "disk")
    with pytest.raises(ValueError):
        fs.open_new(tmp_path / "elsewhere")


def test_an_ext4_like_disk_keeps_the_entry_of_an_fsynced_file(tmp_path):
    fs = LossyFileSystem(tmp_path, fsync_persists_entry=True)
    with fs.open_new(tmp_path / "a") as f:
        f.write(b"x")
        fs.fsync(f)
    fs.power_cut()
    assert (tmp_path / "a").read_bytes() == b"x"
