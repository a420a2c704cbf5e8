"""The device keys the practitioner has accepted, kept in a small file on the laptop.

The first export seen from a device name is trusted on first use: its key is recorded and
a warning names its fingerprint, to compare with what the device shows. From then on a
session signed by another key for that name is untrusted, loudly. The viewer reads the
same file (picked together with the age key), so it is plain JSON:

    {"format": "vig-accepted-devices/1",
     "devices": {"<device name>": {"public_key": "<base64 of 32 raw bytes>",
                                   "fingerprint": "ed25519:<32 hex digits>",
                                   "accepted_at": "<YYYY-MM-DDTHH:MM:SSZ>"}}}
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..vault.device_key import fingerprint
from .errors import UsageError

DEVICES_FORMAT = "vig-accepted-devices/1"
DEVICES_FILE_NAME = "devices.json"
KNOWN, NEW, CHANGED = "known", "new", "changed"
DEVICES_MAX_BYTES = 1024 * 1024


class DevicesFileUnreadable(UsageError):
    """The accepted-devices file exists but is not one vig-unpack wrote."""

    code = "unpack.devices_file_unreadable"
    hint = "Fix or move the file (it lists the devices you trust), then run again."


def default_devices_path(environ: Mapping[str, str]) -> Path:
    """The user's config dir: %APPDATA%\\vig on Windows, else $XDG_CONFIG_HOME/vig."""
    if os.name == "nt" and environ.get("APPDATA"):
        return Path(environ["APPDATA"]) / "vig" / DEVICES_FILE_NAME
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vig" / DEVICES_FILE_NAME


@dataclass(frozen=True)
class AcceptedKey:
    public_key: bytes
    accepted_at: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


class AcceptedDevices:
    def __init__(self, path: Path, devices: dict[str, AcceptedKey]) -> None:
        self.path = path
        self._devices = devices

    @classmethod
    def load(cls, path: Path) -> AcceptedDevices:
        try:
            if path.stat().st_size > DEVICES_MAX_BYTES:
                raise DevicesFileUnreadable(f"{path} is too large to be a list of devices.")
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, {})
        try:
            document = json.loads(raw)
            if document.get("format") != DEVICES_FORMAT:
                raise ValueError(f"unknown format {document.get('format')!r}")
            devices = {
                str(name): AcceptedKey(
                    base64.b64decode(entry["public_key"], validate=True),
                    str(entry.get("accepted_at", "")),
                )
                for name, entry in document["devices"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise DevicesFileUnreadable(f"{path} cannot be read: {exc}.") from exc
        return cls(path, devices)

    def judge(self, device: str, public_key: bytes) -> str:
        accepted = self._devices.get(device)
        if accepted is None:
            return NEW
        return KNOWN if accepted.public_key == public_key else CHANGED

    def accepted(self, device: str) -> AcceptedKey | None:
        return self._devices.get(device)

    def accept(self, device: str, public_key: bytes, now: float) -> None:
        """Record a device on first use and save the file at once (temp, fsync, rename)."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        self._devices[device] = AcceptedKey(public_key, stamp)
        self._save()

    def _save(self) -> None:
        document = {
            "format": DEVICES_FORMAT,
            "devices": {
                name: {
                    "public_key": base64.b64encode(key.public_key).decode("ascii"),
                    "fingerprint": key.fingerprint,
                    "accepted_at": key.accepted_at,
                }
                for name, key in sorted(self._devices.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(self.path.name + ".tmp")
        with open(temp, "w", encoding="ascii") as fh:
            fh.write(json.dumps(document, indent=2) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, self.path)
