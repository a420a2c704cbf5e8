"""The panel PIN, kept only as a scrypt hash in a 0600 file in the data dir.

scrypt (N=2^14, r=8, p=1: about 16 MiB and tens of milliseconds on a Pi 4) makes each
guess costly for someone who copies the SD card; the login rate limit protects the live
panel. The file is replaced atomically, so a power cut leaves the old PIN or the new one.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
from pathlib import Path

from ..vault.atomic_file import replace_private_file
from ..vault.filesystem import FileSystem, OsFileSystem, make_dirs_durably
from .errors import PinNotSet, WeakPin

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 32
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
#: Both live in the data dir: the PIN hash and the key that signs panel cookies.
PIN_FILE_NAME = "panel-pin"
SECRET_FILE_NAME = "panel-secret"


def panel_files(data_dir: Path) -> tuple[Path, Path]:
    """(PIN hash file, cookie secret file) inside the data dir."""
    return Path(data_dir) / PIN_FILE_NAME, Path(data_dir) / SECRET_FILE_NAME


#: The commonest 6-digit PINs in leaked PIN and password lists that no rule below catches
#: (repeated digits, runs and short repeated blocks are refused by rule).
COMMON_PINS = frozenset({
    "112233", "159753", "696969", "102030", "123321", "147258", "159357", "520520",
    "789456", "147852", "258369", "123654", "654123", "112358", "198412", "200000",
    "100000", "142536", "123789", "987123", "777888", "123987", "111222", "741852",
    "852963", "963852", "147369", "135790", "121314", "131415", "102938", "010203",
    "000001", "999000", "998877", "332211",
})  # fmt: skip
#: A block of this many digits or fewer, repeated, is a pattern (121212, 123123).
MAX_REPEATED_BLOCK = 3


def check_pin_format(pin: str) -> str:
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        raise WeakPin(f"The PIN must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits, digits only.")
    return pin


def check_pin_not_trivial(pin: str) -> str:
    """Refuse a PIN an attacker tries first: the global guess budget (login_budget) makes
    about 9,000 guesses in ten years, so the PIN must not be among the first ones tried."""
    check_pin_format(pin)
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps == {0}:
        raise WeakPin("That PIN is one digit repeated, which is guessed first. Choose another.")
    if len(steps) == 1:
        raise WeakPin(
            "That PIN is a run of digits (like 345678 or 975310), which is guessed first. "
            "Choose digits with no pattern."
        )
    for block in range(2, MAX_REPEATED_BLOCK + 1):
        if len(pin) % block == 0 and pin == pin[:block] * (len(pin) // block):
            raise WeakPin(
                f"That PIN repeats {pin[:block]}, which is guessed first. Choose another."
            )
    if pin in COMMON_PINS:
        raise WeakPin("That PIN is one of the commonest PINs, which are guessed first.")
    return pin


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


class PinStore:
    """Set and check the panel PIN stored at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def is_set(self) -> bool:
        return self.path.exists()

    def set(self, pin: str) -> None:
        check_pin_not_trivial(pin)
        salt = secrets.token_bytes(16)
        record = {
            "scheme": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": salt.hex(),
            "hash": _derive(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P).hex(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _record(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError as exc:
            raise PinNotSet("No panel PIN is set on this device.") from exc

    def verify(self, pin: str) -> bool:
        record = self._record()
        candidate = _derive(
            pin, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"]
        )
        return hmac.compare_digest(candidate, bytes.fromhex(record["hash"]))

    def fingerprint(self) -> str:
        """Changes whenever the PIN is set again, so older logins stop working."""
        record = self._record()
        return hashlib.sha256(record["salt"].encode()).hexdigest()[:16]


def load_or_create_secret(path: Path, fs: FileSystem | None = None) -> bytes:
    """The per-device key that signs panel cookies, made once on first run (0600).

    Made with the vault's replace recipe, the directory fsync included: a key renamed into
    place but not yet in a durable directory entry comes back after a power cut as no key
    plus a temp file, and every phone would have to log in again.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    fs = fs or OsFileSystem()
    make_dirs_durably(fs, path.parent)
    secret = secrets.token_bytes(32)
    replace_private_file(fs, path, secret)
    return secret
