"""X25519 recipients (age1…) and identities (AGE-SECRET-KEY-1…), as age v1 defines them."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from . import bech32
from .errors import InvalidIdentity, InvalidRecipient, MalformedStanza, PrivateKeyGivenAsRecipient
from .format import Stanza, b64decode, b64encode
from .primitives import hkdf_sha256, unwrap_first, unwrap_key, wrap_key

STANZA_TYPE = "X25519"
LABEL = b"age-encryption.org/v1/X25519"
RECIPIENT_HRP = "age"
IDENTITY_HRP = "AGE-SECRET-KEY-"
POINT_SIZE = 32


def raw_public(key: X25519PublicKey) -> bytes:
    """The 32 raw bytes; `public_bytes_raw` spares every command the import of
    `cryptography...serialization` (and its SSH key parser), a tenth of `keys list`."""
    return key.public_bytes_raw()


def shared_secret(private: X25519PrivateKey, public: bytes) -> bytes:
    """X25519, refusing the all-zero result that low-order points give."""
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as exc:  # OpenSSL refuses an all-zero shared secret itself
        raise MalformedStanza("the X25519 share is a low-order point") from exc
    if shared == bytes(POINT_SIZE):
        raise MalformedStanza("the X25519 share is a low-order point")
    return shared


class X25519Recipient:
    """A public key files are encrypted to."""

    exclusive = False

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != POINT_SIZE:
            raise InvalidRecipient("an X25519 public key is 32 bytes")
        self._public = bytes(public_key)

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        text = text.strip()
        if text.upper().startswith("AGE-SECRET-KEY-"):
            raise PrivateKeyGivenAsRecipient("this is a secret key, not a recipient")
        try:
            hrp, data = bech32.decode(text)
        except bech32.Bech32Error as exc:
            raise InvalidRecipient(f"malformed recipient: {exc}") from exc
        if hrp != RECIPIENT_HRP:
            raise InvalidRecipient("not an age recipient (it must start with age1)")
        return cls(data)

    @property
    def public_key(self) -> bytes:
        return self._public

    def wrap(self, file_key: bytes) -> list[Stanza]:
        ephemeral = X25519PrivateKey.generate()
        share = raw_public(ephemeral.public_key())
        shared = shared_secret(ephemeral, self._public)
        wrapping_key = hkdf_sha256(shared, share + self._public, LABEL)
        return [Stanza(STANZA_TYPE, (b64encode(share),), wrap_key(wrapping_key, file_key))]

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._public)

    def __repr__(self) -> str:
        return f"X25519Recipient({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)


class X25519Identity:
    """A secret key; it opens files encrypted to its recipient."""

    def __init__(self, secret_key: bytes) -> None:
        if len(secret_key) != POINT_SIZE:
            raise InvalidIdentity("an X25519 secret key is 32 bytes")
        self._secret = bytes(secret_key)
        self._private = X25519PrivateKey.from_private_bytes(self._secret)
        self._public = raw_public(self._private.public_key())

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(os.urandom(POINT_SIZE))

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        try:
            hrp, data = bech32.decode(text.strip())
        except bech32.Bech32Error as exc:
            raise InvalidIdentity(f"malformed secret key: {exc}") from exc
        if hrp != IDENTITY_HRP:
            raise InvalidIdentity("not an age secret key (it must start with AGE-SECRET-KEY-1)")
        return cls(data)

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public)

    def unwrap(self, stanzas: list[Stanza]) -> bytes | None:
        return unwrap_first(stanzas, STANZA_TYPE, self._unwrap_one)

    def _unwrap_one(self, stanza: Stanza) -> bytes | None:
        if len(stanza.args) != 1:
            raise MalformedStanza("an X25519 stanza has exactly one argument")
        share = b64decode(stanza.args[0])
        if len(share) != POINT_SIZE:
            raise MalformedStanza("the X25519 share is not 32 bytes")
        shared = shared_secret(self._private, share)
        wrapping_key = hkdf_sha256(shared, share + self._public, LABEL)
        return unwrap_key(wrapping_key, stanza.body)

    def __str__(self) -> str:
        return bech32.encode(IDENTITY_HRP, self._secret)

    def __repr__(self) -> str:
        return f"X25519Identity(recipient={str(self.recipient)!r})"
