"""Finding sticks: the simulated USB port, the watcher, choosing one, and udisks2 over busctl."""

from __future__ import annotations

import json
import threading

import pytest

from appliance.export.errors import NoStick, StickCommandFailed, TooManySticks
from appliance.export.stick import FolderStick, FolderStickFinder, StickWatcher, select_stick
from appliance.export.udisks import MOUNT_OPTIONS, UdisksStickFinder, run_busctl


def test_folder_port_watcher_reports_sticks_inserted_and_removed(tmp_path):
    port = tmp_path / "usb"
    inserted, removed = [], []
    watcher = StickWatcher(FolderStickFinder(port), on_inserted=inserted.append,
                           on_removed=removed.append)
    watcher.poll()
    assert inserted == [] and removed == []
    (port / "KINGSTON").mkdir(parents=True)
    (port / ".hidden").mkdir()
    watcher.poll()
    assert [s.label for s in inserted] == ["KINGSTON"]
    watcher.poll()
    assert len(inserted) == 1
    (port / "KINGSTON").rmdir()
    watcher.poll()
    assert [s.label for s in removed] == ["KINGSTON"]
    assert watcher.present() == []


def test_watcher_thread_notices_a_stick_and_stops_promptly(tmp_path):
    port = tmp_path / "usb"
    port.mkdir()
    seen = threading.Event()
    watcher = StickWatcher(FolderStickFinder(port), on_inserted=lambda s: seen.set(),
                           on_removed=lambda s: None, interval=0.01)
    watcher.start()
    try:
        (port / "STICK").mkdir()
        assert seen.wait(5)
    finally:
        watcher.stop(timeout=5)


def test_select_stick_refuses_none_and_two(tmp_path):
    with pytest.raises(NoStick):
        select_stick([])
    with pytest.raises(TooManySticks) as caught:
        select_stick([FolderStick(tmp_path / "A"), FolderStick(tmp_path / "B")])
    assert "Unplug" in caught.value.user_message() or caught.value.hint
    assert select_stick([FolderStick(tmp_path / "A")]).label == "A"


def test_folder_stick_replaced_by_another_folder_is_not_present(tmp_path):
    root = tmp_path / "STICK"
    root.mkdir()
    stick = FolderStick(root)
    stick.mount()
    assert stick.is_present()
    root.rmdir()
    root.mkdir()
    assert not stick.is_present()


def variant(kind, data):
    return {"type": kind, "data": data}


def ay(text):
    return [*text.encode(), 0]


def managed_objects(mounted=False):
    usb_drive = "/org/freedesktop/UDisks2/drives/SanDisk_1"
    sd_drive = "/org/freedesktop/UDisks2/drives/SD_card"
    block = "org.freedesktop.UDisks2.Block"
    fs = "org.freedesktop.UDisks2.Filesystem"
    return {"type": "a{oa{sa{sv}}}", "data": [{
        "/org/freedesktop/UDisks2/block_devices/sda1": {
            block: {"IdUsage": variant("s", "filesystem"), "IdType": variant("s", "vfat"),
                    "IdLabel": variant("s", "KINGSTON"), "Drive": variant("o", usb_drive),
                    "Device": variant("ay", ay("/dev/sda1")),
                    "PreferredDevice": variant("ay", ay("/dev/sda1")),
                    "HintIgnore": variant("b", False), "HintSystem": variant("b", False)},
            fs: {"MountPoints": variant("aay", [ay("/media/vig/KINGSTON")] if mounted else [])},
        },
        "/org/freedesktop/UDisks2/block_devices/sda": {
            block: {"IdUsage": variant("s", ""), "IdType": variant("s", ""),
                    "Drive": variant("o", usb_drive)},
        },
        "/org/freedesktop/UDisks2/block_devices/mmcblk0p2": {
            block: {"IdUsage": variant("s", "filesystem"), "IdType": variant("s", "ext4"),
                    "Drive": variant("o", sd_drive), "HintSystem": variant("b", True)},
            fs: {"MountPoints": variant("aay", [ay("/")])},
        },
        usb_drive: {"org.freedesktop.UDisks2.Drive": {"ConnectionBus": variant("s", "usb")}},
        sd_drive: {"org.freedesktop.UDisks2.Drive": {"ConnectionBus": variant("s", "sdio")}},
    }]}


class FakeBusctl:
    """Answers busctl the way it prints on a Pi (--json=short), recording every call."""

    def __init__(self, mounted=False):
        self.calls = []
        self.mounted = mounted

    def __call__(self, args):
        self.calls.append(list(args))
        method = args[4]
        if method == "GetManagedObjects":
            return json.dumps(managed_objects(self.mounted))
        if method == "Mount":
            self.mounted = True
            return json.dumps({"type": "s", "data": ["/media/vig/KINGSTON"]})
        if method == "Unmount":
            self.mounted = False
            return ""
        if method == "PowerOff":
            return ""
        raise AssertionError(f"unexpected call {args}")


def test_udisks_finds_only_filesystems_on_usb_drives():
    sticks = UdisksStickFinder(FakeBusctl()).sticks()
    assert [(s.device, s.fs_type, s.label) for s in sticks] == [("/dev/sda1", "vfat", "KINGSTON")]


def test_udisks_mounts_with_safe_options_then_unmounts_and_powers_off():
    bus = FakeBusctl()
    stick = UdisksStickFinder(bus).sticks()[0]
    assert str(stick.mount()) == "/media/vig/KINGSTON"
    mount_call = next(c for c in bus.calls if c[4] == "Mount")
    assert mount_call[:4] == ["call", "org.freedesktop.UDisks2",
                              "/org/freedesktop/UDisks2/block_devices/sda1",
                              "org.freedesktop.UDisks2.Filesystem"]
    assert MOUNT_OPTIONS in mount_call and MOUNT_OPTIONS == "nosuid,nodev,noexec"
    assert stick.is_present()
    stick.release()
    methods = [c[4] for c in bus.calls]
    assert methods.index("Unmount") < methods.index("PowerOff")
    power = next(c for c in bus.calls if c[4] == "PowerOff")
    assert power[2] == "/org/freedesktop/UDisks2/drives/SanDisk_1"


def test_udisks_uses_an_existing_mount():
    bus = FakeBusctl(mounted=True)
    stick = UdisksStickFinder(bus).sticks()[0]
    assert str(stick.mount()) == "/media/vig/KINGSTON"
    assert "Mount" not in [c[4] for c in bus.calls]


def test_busctl_failure_is_a_plain_error(tmp_path, monkeypatch):
    fake = tmp_path / "busctl"
    fake.write_text("#!/bin/sh\necho 'Access denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StickCommandFailed) as caught:
        run_busctl(["call", "x"])
    assert "Access denied" in str(caught.value)
