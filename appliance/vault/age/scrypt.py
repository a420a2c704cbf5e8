"""Passphrase recipients and identities (the age `scrypt` stanza).

A passphrase stanza must be alone in its header: otherwise any other recipient could make
a file that "opens with the passphrase" without knowing it.
"""

from __future__ import annotations

import os
import re

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import InvalidPassphrase, MalformedStanza, WorkFactorTooLarge
from .format import Stanza, b64decode, b64encode
from .primitives import KEY_SIZE, unwrap_key, wrap_key

STANZA_TYPE = "scrypt"
LABEL = b"age-encryption.org/v1/scrypt"
SALT_SIZE = 16
DEFAULT_WORK_FACTOR = 18
#: Same ceiling as age: 2**22 iterations is about 15 s and 4 GiB of memory.
DEFAULT_MAX_WORK_FACTOR = 22
_DECIMAL = re.compile(r"[1-9][0-9]*")


def _as_bytes(passphrase: str | bytes) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise InvalidPassphrase("the passphrase is empty")
    return data


def _derive(passphrase: bytes, salt: bytes, work_factor: int) -> bytes:
    kdf = Scrypt(salt=LABEL + salt, length=KEY_SIZE, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase)


class ScryptRecipient:
    """Encrypts to a passphrase; `work_factor` is log2 of scrypt's N."""

    exclusive = True

    def __init__(self, passphrase: str | bytes, work_factor: int = DEFAULT_WORK_FACTOR) -> None:
        if not 1 <= work_factor <= 30:
            raise InvalidPassphrase("the scrypt work factor must be between 1 and 30")
        self._passphrase = _as_bytes(passphrase)
        self._work_factor = work_factor

    def wrap(self, file_key: bytes) -> list[Stanza]:
        salt = os.urandom(SALT_SIZE)
        key = _derive(self._passphrase, salt, self._work_factor)
        args = (b64encode(salt), str(self._work_factor))
        return [Stanza(STANZA_TYPE, args, wrap_key(key, file_key))]

    def __repr__(self) -> str:
        return f"ScryptRecipient(work_factor={self._work_factor})"


class ScryptIdentity:
    """Opens passphrase-encrypted files, refusing work factors above `max_work_factor`."""

    def __init__(
        self, passphrase: str | bytes, max_work_factor: int = DEFAULT_MAX_WORK_FACTOR
    ) -> None:
        self._passphrase = _as_bytes(passphrase)
        self._max_work_factor = max_work_factor

    def unwrap(self, stanzas: list[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type == STANZA_TYPE:
                if len(stanzas) != 1:
                    raise MalformedStanza("a passphrase stanza must be alone in the header")
                return self._unwrap_one(stanza)
        return None

    def _unwrap_one(self, stanza: Stanza) -> bytes | None:
        if len(stanza.args) != 2:
            raise MalformedStanza("an scrypt stanza has exactly two arguments")
        salt = b64decode(stanza.args[0])
        if len(salt) != SALT_SIZE:
            raise MalformedStanza("the scrypt salt is not 16 bytes")
        if not _DECIMAL.fullmatch(stanza.args[1]):
            raise MalformedStanza("the scrypt work factor is not a plain decimal number")
        work_factor = int(stanza.args[1])
        if work_factor > self._max_work_factor:
            raise WorkFactorTooLarge(
                f"the scrypt work factor {work_factor} is above the limit {self._max_work_factor}"
            )
        if len(stanza.body) != 32:
            raise MalformedStanza("the wrapped file key has the wrong length")
        return unwrap_key(_derive(self._passphrase, salt, work_factor), stanza.body)

    def __repr__(self) -> str:
        return "ScryptIdentity(…)"
