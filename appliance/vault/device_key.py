"""The device's own signing key: made on the device at its first start, kept in the data dir.

It signs every export manifest (appliance/export/signature.py), so a laptop can tell
sessions this device wrote from files anyone with the practitioner's public key could
make. It opens no recording. It is never part of an image: each device makes its own at
the service's first start, and a factory reset replaces it (a new owner's laptop should
not trust exports as coming from the old owner's device). Whoever holds the SD card holds
this key too; DESIGN.md's threat model says what that leaves open.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from .atomic_file import replace_atomically_with
from .filesystem import FileSystem

DEVICE_KEY_FILE = "device-key.ed25519"
SEED_BYTES = 32


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_raw: bytes) -> str:
    """What a person compares: "ed25519:" and 32 hex digits of SHA-256 of the raw key."""
    return "ed25519:" + hashlib.sha256(public_raw).hexdigest()[:32]


def _seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def create_device_key(path: Path, fs: FileSystem) -> Ed25519PrivateKey:
    """Make a fresh key and make it the durable content of `path` (0600), all or nothing."""
    key = Ed25519PrivateKey.generate()
    seed = _seed(key)

    def write(file) -> None:
        os.fchmod(file.fileno(), 0o600)
        file.write(seed)

    replace_atomically_with(fs, path, write)
    return key


def read_device_key(path: Path) -> Ed25519PrivateKey | None:
    """The key stored at `path`, or None when there is none or it is not a key."""
    try:
        seed = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(seed) != SEED_BYTES:
        return None
    return Ed25519PrivateKey.from_private_bytes(seed)
