"""Reading the practitioner's key file, plain or protected by a passphrase.

`age-keygen` writes a plain identity file; `age -p` (or `age -e -p`) can protect it, giving
an age file encrypted with a passphrase (binary or armored). Both are accepted; for the
protected one the passphrase is asked for, never taken from the command line.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from ..vault.age import (
    AgeError,
    AgeReader,
    Identity,
    NoIdentityMatched,
    ScryptIdentity,
    parse_identity_file,
)
from .errors import KeyUnusable, WrongKey

AGE_MAGIC = b"age-encryption.org/v1"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
MAX_KEY_FILE = 1 << 20

PassphrasePrompt = Callable[[str], str]


def is_protected(raw: bytes) -> bool:
    return raw.startswith(AGE_MAGIC) or raw.lstrip().startswith(ARMOR_BEGIN)


def load_identities(path: Path, ask_passphrase: PassphrasePrompt) -> list[Identity]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyUnusable(f"The key file {path} cannot be read: {exc.strerror or exc}.") from exc
    if len(raw) > MAX_KEY_FILE:
        raise KeyUnusable(f"{path} is too large to be a key file.")
    if is_protected(raw):
        raw = _unprotect(path, raw, ask_passphrase)
    try:
        return parse_identity_file(raw.decode("utf-8"))
    except (AgeError, UnicodeDecodeError) as exc:
        raise KeyUnusable(f"{path} holds no usable age key: {exc}.") from exc


def _unprotect(path: Path, raw: bytes, ask_passphrase: PassphrasePrompt) -> bytes:
    passphrase = ask_passphrase(f"Passphrase for the key file {path.name}: ")
    try:
        return AgeReader(io.BytesIO(raw), [ScryptIdentity(passphrase)]).read()
    except NoIdentityMatched as exc:
        raise WrongKey(f"The passphrase does not open the key file {path}.") from exc
    except AgeError as exc:
        raise KeyUnusable(f"The protected key file {path} is damaged: {exc}.") from exc
