"""A USB stick, hot-plugged through qemu's monitor: udisks2 mounts it as the service user
(through the polkit rule, not as root), the appliance exports, verifies and deletes, and
powers the stick off. On the host the stick's file system is clean and age opens its files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.tooling import require_tool

from .machine import VirtualPi
from .test_4_button import press, recording

PARTITION_START = 1024 * 1024


def fat32_stick(path: Path) -> Path:
    subprocess.run(["truncate", "-s", "256M", str(path)], check=True)
    subprocess.run(["sfdisk", "-q", str(path)], input="start=2048, type=c\n", text=True,
                   check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "VIGSTICK", "--offset", "2048", str(path)],
                   check=True, capture_output=True)
    return path


def partition_of(stick: Path, out: Path) -> Path:
    subprocess.run(["dd", f"if={stick}", f"of={out}", "bs=1M", "skip=1", "status=none"],
                   check=True)
    return out


@pytest.fixture
def finished_session(vpi: VirtualPi) -> str:
    """A short session recorded with the button: its id."""
    press(vpi, 0.3)
    session = vpi.wait_until("a session recording", lambda: recording(vpi), 90)[0]
    vpi.shell("sleep 8")
    press(vpi, 4.0)
    vpi.wait_until("the session finished", lambda: not recording(vpi), 120)
    return session["id"]


def test_a_fat32_stick_receives_the_sessions_and_age_opens_them(
    vpi: VirtualPi, finished_session: str, tmp_path: Path
):
    age = require_tool("age", "age")
    require_tool("fsck.vfat", "dosfstools")
    require_tool("mcopy", "mtools")
    stick = fat32_stick(tmp_path / "stick.img")
    since = vpi.guest_time()
    vpi.harness("plug-stick", str(stick))
    try:
        vpi.wait_until(
            "the session exported and deleted from the guest",
            lambda: finished_session not in {s["id"] for s in vpi.sessions()}, 300, interval=3,
        )
        vpi.wait_until(
            "the stick powered off by udisks2",
            lambda: "usb" not in vpi.check("lsblk", "-dno", "TRAN"), 60,
        )
    finally:
        vpi.harness("unplug-stick")
    mounts = vpi.check("journalctl", "--since", since, "--no-pager", "-o", "cat")
    assert "Mounted /dev/sd" in mounts and "on behalf of uid 0" not in mounts, mounts[-3000:]

    partition = partition_of(stick, tmp_path / "partition.img")
    fsck = subprocess.run(["fsck.vfat", "-n", str(partition)], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    copied = tmp_path / "copied"
    copied.mkdir()
    subprocess.run(["mcopy", "-s", "-n", "-i", str(partition), "::/*", str(copied)], check=True)
    parts = list(copied.rglob(f"{finished_session}/part-*.mp4.age"))
    assert parts, sorted(str(p.relative_to(copied)) for p in copied.rglob("*"))
    for encrypted in parts:
        opened = subprocess.run(
            [age, "-d", "-i", str(vpi.run_dir / "practitioner.key"), str(encrypted)],
            capture_output=True,
        )
        assert opened.returncode == 0, opened.stderr
        assert len(opened.stdout) > 10_000
