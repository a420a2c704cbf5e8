"""USB sticks on a Pi, through udisks2 over D-Bus (`busctl`), never as root.

The service has no capabilities; mounting, unmounting and powering off a stick are asked
of udisks2, which a polkit rule (systemd/) allows for the service user. `busctl` ships with
systemd, so this needs no Python D-Bus binding and imports nothing Pi-specific.

Only a filesystem (vfat, exfat or ext4) on a drive connected over USB counts as a stick. It
is mounted nosuid,nodev,noexec: the stick is untrusted. After unmounting, the drive is
powered off, so pulling it cannot lose a cached write.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StickCommandFailed

UDISKS = "org.freedesktop.UDisks2"
ROOT_PATH = "/org/freedesktop/UDisks2"
BLOCK_PREFIX = "/org/freedesktop/UDisks2/block_devices/"
BLOCK = "org.freedesktop.UDisks2.Block"
FILESYSTEM = "org.freedesktop.UDisks2.Filesystem"
DRIVE = "org.freedesktop.UDisks2.Drive"
STICK_FILESYSTEMS = frozenset({"vfat", "exfat", "ext4"})
MOUNT_OPTIONS = "nosuid,nodev,noexec"

Runner = Callable[[Sequence[str]], str]


def run_busctl(args: Sequence[str], timeout: float = 60.0) -> str:
    """Run busctl on the system bus with JSON output; a failure becomes StickCommandFailed."""
    command = ["busctl", "--system", "--json=short", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StickCommandFailed(f"Could not ask the system about USB sticks ({exc}).") from exc
    if done.returncode != 0:
        reason = done.stderr.strip() or f"busctl exit status {done.returncode}"
        raise StickCommandFailed(f"The system refused a USB stick request: {reason}.")
    return done.stdout


def _value(props: dict[str, Any], name: str, default: Any = None) -> Any:
    """A property from busctl's JSON, where each variant is {"type": …, "data": …}."""
    item = props.get(name)
    if isinstance(item, dict) and "data" in item:
        return item["data"]
    return default


def _bytes_text(value: Any) -> str:
    """D-Bus `ay` strings (device names, mount points) arrive as NUL-terminated byte lists."""
    if isinstance(value, str):
        return value.rstrip("\0")
    if isinstance(value, list):
        return bytes(value).rstrip(b"\0").decode("utf-8", "surrogateescape")
    return ""


def _call(runner: Runner, path: str, interface: str, method: str, *args: str) -> Any:
    out = runner(["call", UDISKS, path, interface, method, *args])
    if not out.strip():
        return None
    data = json.loads(out).get("data")
    return data[0] if isinstance(data, list) and len(data) == 1 else data


@dataclass
class UdisksStick:
    """One filesystem on a USB drive, as udisks2 describes it."""

    block_path: str
    drive_path: str
    device: str
    fs_type: str
    fs_label: str
    mount_points: tuple[str, ...]
    runner: Runner = run_busctl

    @property
    def id(self) -> str:
        return self.block_path

    @property
    def label(self) -> str:
        return self.fs_label or self.device

    def mount(self) -> Path:
        if self.mount_points:
            return Path(self.mount_points[0])
        where = _call(
            self.runner, self.block_path, FILESYSTEM, "Mount",
            "a{sv}", "2", "options", "s", MOUNT_OPTIONS, "auth.no_user_interaction", "b", "true",
        )
        if not isinstance(where, str) or not where:
            raise StickCommandFailed(f"Mounting {self.device} gave no mount point.")
        self.mount_points = (where,)
        return Path(where)

    def is_present(self) -> bool:
        finder = UdisksStickFinder(self.runner)
        return any(s.block_path == self.block_path for s in finder.sticks())

    def release(self) -> None:
        """Unmount (which flushes) and power the drive off."""
        if self.mount_points:
            _call(
                self.runner, self.block_path, FILESYSTEM, "Unmount",
                "a{sv}", "1", "auth.no_user_interaction", "b", "true",
            )
            self.mount_points = ()
        _call(
            self.runner, self.drive_path, DRIVE, "PowerOff",
            "a{sv}", "1", "auth.no_user_interaction", "b", "true",
        )


@dataclass(frozen=True)
class UdisksStickFinder:
    """Lists the filesystems on USB drives that udisks2 knows about."""

    runner: Runner = run_busctl

    def sticks(self) -> list[UdisksStick]:
        out = self.runner(
            ["call", UDISKS, ROOT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"]
        )
        data = json.loads(out).get("data") or [{}]
        objects: dict[str, dict[str, Any]] = data[0]
        found = []
        for path, interfaces in sorted(objects.items()):
            stick = self._stick(path, interfaces, objects)
            if stick is not None:
                found.append(stick)
        return found

    def _stick(
        self, path: str, interfaces: dict[str, Any], objects: dict[str, dict[str, Any]]
    ) -> UdisksStick | None:
        block = interfaces.get(BLOCK)
        filesystem = interfaces.get(FILESYSTEM)
        if not path.startswith(BLOCK_PREFIX) or block is None or filesystem is None:
            return None
        fs_type = _value(block, "IdType", "")
        if _value(block, "IdUsage") != "filesystem" or fs_type not in STICK_FILESYSTEMS:
            return None
        if _value(block, "HintIgnore", False) or _value(block, "HintSystem", False):
            return None
        drive_path = _value(block, "Drive", "/")
        drive = objects.get(drive_path, {}).get(DRIVE)
        if drive is None or _value(drive, "ConnectionBus") != "usb":
            return None
        mounts = tuple(_bytes_text(m) for m in _value(filesystem, "MountPoints", []) or [])
        return UdisksStick(
            block_path=path,
            drive_path=drive_path,
            device=_bytes_text(_value(block, "PreferredDevice")) or _bytes_text(
                _value(block, "Device")
            ),
            fs_type=fs_type,
            fs_label=_value(block, "IdLabel", ""),
            mount_points=tuple(m for m in mounts if m),
            runner=self.runner,
        )
