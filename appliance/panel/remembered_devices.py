"""Phones that logged in before: a random token in a cookie, only its hash on the device.

Why: the global guess budget holds strangers off, and it must not hold the practitioner
off with them. A phone that once gave the right PIN gets a token (`<id>.<secret>`, 32
random bytes) in an HttpOnly, SameSite=Strict cookie. Its later logins still need the
PIN, but they are counted against that phone alone, not against the global budget, so
an attacker emptying the budget (or taking the phone's IP address) cannot lock it out.

- Only the SHA-256 of the secret is kept (the secret is random, so a fast hash suffices);
  the file does not hand a working cookie to whoever reads it.
- Each record is bound to the PIN's fingerprint, so setting a new PIN forgets every phone
  even while the service runs (set-pin also empties the file; a factory reset deletes it).
- `MAX_FAILURES` wrong PINs in a row forget the phone: a token copied off a phone buys
  its thief that many guesses, no more. Then the phone is a stranger again.
- The file is read at every login, so what the CLI changed holds at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from pathlib import Path
from typing import Any

from ..vault.atomic_file import replace_atomically
from ..vault.filesystem import FileSystem, OsFileSystem

log = logging.getLogger(__name__)

DEVICES_FILE_NAME = "panel-devices"
DEVICE_COOKIE_NAME = "vig_device"
#: Browsers keep a cookie at most 400 days (RFC 6265bis); a phone unused that long logs
#: in as a new one.
DEVICE_COOKIE_MAX_AGE = 400 * 86400
MAX_DEVICES = 8
MAX_FAILURES = 10


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class RememberedDevices:
    def __init__(self, path: Path, *, fs: FileSystem | None = None) -> None:
        self.path = Path(path)
        self._fs = fs or OsFileSystem()
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            records = json.loads(self.path.read_bytes())["devices"]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("remembered phones %s unreadable (%s): none known", self.path, exc)
            return {}
        return records if isinstance(records, dict) else {}

    def _write(self, records: dict[str, dict[str, Any]]) -> None:
        replace_atomically(self._fs, self.path, json.dumps({"devices": records}).encode())

    def remember(self, pin_fingerprint: str) -> str:
        """A new token for a phone that just gave the right PIN (the cookie's value)."""
        device_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        with self._lock:
            records = self._read()
            serial = 1 + max((int(r.get("serial", 0)) for r in records.values()), default=0)
            records[device_id] = {
                "hash": _hash(secret), "pin": pin_fingerprint, "failures": 0, "serial": serial,
            }  # fmt: skip
            while len(records) > MAX_DEVICES:
                oldest = min(records, key=lambda key: int(records[key].get("serial", 0)))
                del records[oldest]
            self._write(records)
        return f"{device_id}.{secret}"

    def recognise(self, token: str | None, pin_fingerprint: str) -> str | None:
        """The phone's id if `token` is a live token for the current PIN, else None."""
        if not token or token.count(".") != 1:
            return None
        device_id, secret = token.split(".")
        record = self._read().get(device_id)
        if not isinstance(record, dict):
            return None
        if not hmac.compare_digest(str(record.get("hash", "")), _hash(secret)):
            return None
        if not hmac.compare_digest(str(record.get("pin", "")), pin_fingerprint):
            return None
        return device_id

    def failed(self, device_id: str) -> bool:
        """Count a wrong PIN from this phone; True if that made it a stranger."""
        with self._lock:
            records = self._read()
            record = records.get(device_id)
            if record is None:
                return True
            record["failures"] = int(record.get("failures", 0)) + 1
            forgotten = record["failures"] >= MAX_FAILURES
            if forgotten:
                del records[device_id]
            self._write(records)
            return forgotten

    def succeeded(self, device_id: str) -> None:
        with self._lock:
            records = self._read()
            record = records.get(device_id)
            if record is not None and record.get("failures"):
                record["failures"] = 0
                self._write(records)

    def forget_all(self) -> None:
        with self._lock:
            if self.path.exists():
                self._write({})

    def count(self) -> int:
        return len(self._read())
