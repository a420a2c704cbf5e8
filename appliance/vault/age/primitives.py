"""The age key schedule on `cryptography`: file key, header MAC, payload key, key wrapping.

Also the two small interfaces every recipient and identity type implements, so the writer
and reader can treat X25519 keys and passphrases alike.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import MalformedStanza
from .format import Stanza

FILE_KEY_SIZE = 16
PAYLOAD_NONCE_SIZE = 16
KEY_SIZE = 32
TAG_SIZE = 16
_ZERO_NONCE = bytes(12)


@runtime_checkable
class Recipient(Protocol):
    """Something a file key can be wrapped to (a public key or a passphrase)."""

    #: True when the recipient must be the only one in a header (passphrases).
    exclusive: bool

    def wrap(self, file_key: bytes) -> list[Stanza]: ...


@runtime_checkable
class Identity(Protocol):
    """Something that may unwrap a file key from a header's stanzas."""

    def unwrap(self, stanzas: list[Stanza]) -> bytes | None:
        """The file key, or None when no stanza is for this identity.

        Raises `MalformedStanza` when a stanza meant for this identity type is malformed.
        """
        ...


def new_file_key() -> bytes:
    return os.urandom(FILE_KEY_SIZE)


def hkdf_sha256(secret: bytes, salt: bytes, info: bytes, length: int = KEY_SIZE) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA256 over the header up to "---", keyed from the file key."""
    mac = HMAC(hkdf_sha256(file_key, b"", b"header"), hashes.SHA256())
    mac.update(mac_input)
    return mac.finalize()


def macs_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    return hkdf_sha256(file_key, nonce, b"payload")


def wrap_key(wrapping_key: bytes, file_key: bytes) -> bytes:
    """Seal a file key under a one-use wrapping key (hence the fixed zero nonce)."""
    return ChaCha20Poly1305(wrapping_key).encrypt(_ZERO_NONCE, file_key, None)


def unwrap_key(wrapping_key: bytes, body: bytes) -> bytes | None:
    """The file key, or None if the tag does not verify (the stanza is not ours).

    The body length is checked first: a wrong length is a malformed stanza, not a mismatch.
    """
    if len(body) != FILE_KEY_SIZE + TAG_SIZE:
        raise MalformedStanza("the wrapped file key has the wrong length")
    try:
        return ChaCha20Poly1305(wrapping_key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


def unwrap_first(
    stanzas: list[Stanza], stanza_type: str, unwrap_one: Callable[[Stanza], bytes | None]
) -> bytes | None:
    """The file key from the first stanza of `stanza_type` that opens, or None.

    Stanzas of other types are ignored, as the spec asks; a malformed one of this type
    raises from `unwrap_one`.
    """
    for stanza in stanzas:
        if stanza.type != stanza_type:
            continue
        file_key = unwrap_one(stanza)
        if file_key is not None:
            return file_key
    return None
