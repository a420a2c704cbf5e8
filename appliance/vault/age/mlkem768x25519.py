"""Hybrid post-quantum recipients (age1pq1…) and identities (AGE-SECRET-KEY-PQ-1…).

Recordings of children are kept for years, so "record now, decrypt once a quantum
computer exists" is a real threat to them. The `mlkem768x25519` stanza seals the file key
with HPKE base mode (RFC 9180) over the MLKEM768-X25519 KEM (X-Wing: ML-KEM-768 and
X25519, combined with SHA3-256), HKDF-SHA256 and ChaCha20-Poly1305, as c2sp.org/age
specifies. The file stays private while either ML-KEM or X25519 holds.

HPKE here is the one-shot, base-mode, sequence-zero case the stanza needs: small enough
to write out rather than pull in a library the Pi would have to build.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import mlkem
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from . import bech32
from .errors import InvalidIdentity, InvalidRecipient, MalformedStanza, PrivateKeyGivenAsRecipient
from .format import Stanza, b64decode, b64encode
from .primitives import FILE_KEY_SIZE, TAG_SIZE, unwrap_first
from .x25519 import raw_public, shared_secret

STANZA_TYPE = "mlkem768x25519"
RECIPIENT_HRP = "age1pq"
IDENTITY_HRP = "AGE-SECRET-KEY-PQ-"
HPKE_INFO = b"age-encryption.org/mlkem768x25519"

SEED_SIZE = 32
MLKEM_PUBLIC_SIZE = 1184
MLKEM_CIPHERTEXT_SIZE = 1088
X25519_SIZE = 32
PUBLIC_KEY_SIZE = MLKEM_PUBLIC_SIZE + X25519_SIZE
ENC_SIZE = MLKEM_CIPHERTEXT_SIZE + X25519_SIZE
XWING_LABEL = b"\\.//^\\"

#: RFC 9180 suite: KEM MLKEM768-X25519 (0x647a), HKDF-SHA256 (0x0001), ChaCha20Poly1305 (0x0003).
SUITE_ID = b"HPKE" + bytes.fromhex("647a") + bytes.fromhex("0001") + bytes.fromhex("0003")


def _combine(ss_m: bytes, ss_x: bytes, ct_x: bytes, pk_x: bytes) -> bytes:
    return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()


def _expand_seed(seed: bytes) -> tuple[mlkem.MLKEM768PrivateKey, X25519PrivateKey]:
    expanded = hashlib.shake_256(seed).digest(96)
    return (
        mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]),
        X25519PrivateKey.from_private_bytes(expanded[64:]),
    )


def _labeled_extract(salt: bytes, label: bytes, ikm: bytes) -> bytes:
    mac = hmac.HMAC(salt or bytes(32), hashes.SHA256())
    mac.update(b"HPKE-v1" + SUITE_ID + label + ikm)
    return mac.finalize()


def _labeled_expand(prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled_info = length.to_bytes(2, "big") + b"HPKE-v1" + SUITE_ID + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled_info).derive(prk)


def _hpke_key_and_nonce(shared_secret: bytes) -> tuple[bytes, bytes]:
    """RFC 9180 KeySchedule, base mode (no PSK), for this stanza's info string."""
    context = (
        b"\x00"
        + _labeled_extract(b"", b"psk_id_hash", b"")
        + _labeled_extract(b"", b"info_hash", HPKE_INFO)
    )
    secret = _labeled_extract(shared_secret, b"secret", b"")
    return (
        _labeled_expand(secret, b"key", context, 32),
        _labeled_expand(secret, b"base_nonce", context, 12),
    )


class MLKEM768X25519Recipient:
    """A hybrid post-quantum public key (1216 bytes: ML-KEM-768, then X25519)."""

    exclusive = False

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != PUBLIC_KEY_SIZE:
            raise InvalidRecipient(f"a hybrid public key is {PUBLIC_KEY_SIZE} bytes")
        self._public = bytes(public_key)
        try:
            self._mlkem = mlkem.MLKEM768PublicKey.from_public_bytes(
                self._public[:MLKEM_PUBLIC_SIZE]
            )
        except ValueError as exc:
            raise InvalidRecipient("the ML-KEM part of the hybrid key is not valid") from exc

    @classmethod
    def parse(cls, text: str) -> MLKEM768X25519Recipient:
        text = text.strip()
        if text.upper().startswith("AGE-SECRET-KEY-"):
            raise PrivateKeyGivenAsRecipient("this is a secret key, not a recipient")
        try:
            hrp, data = bech32.decode(text)
        except bech32.Bech32Error as exc:
            raise InvalidRecipient(f"malformed recipient: {exc}") from exc
        if hrp != RECIPIENT_HRP:
            raise InvalidRecipient("not a hybrid age recipient (it must start with age1pq1)")
        return cls(data)

    def wrap(self, file_key: bytes) -> list[Stanza]:
        ephemeral = X25519PrivateKey.generate()
        ct_x = raw_public(ephemeral.public_key())
        pk_x = self._public[MLKEM_PUBLIC_SIZE:]
        ss_x = shared_secret(ephemeral, pk_x)
        ss_m, ct_m = self._mlkem.encapsulate()
        key, nonce = _hpke_key_and_nonce(_combine(ss_m, ss_x, ct_x, pk_x))
        body = ChaCha20Poly1305(key).encrypt(nonce, file_key, b"")
        return [Stanza(STANZA_TYPE, (b64encode(ct_m + ct_x),), body)]

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._public)

    def __repr__(self) -> str:
        return f"MLKEM768X25519Recipient({str(self)[:24]!r}…)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MLKEM768X25519Recipient) and other._public == self._public

    def __hash__(self) -> int:
        return hash(self._public)


class MLKEM768X25519Identity:
    """A hybrid secret key: a 32-byte seed from which both key pairs are derived."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_SIZE:
            raise InvalidIdentity(f"a hybrid secret key is {SEED_SIZE} bytes")
        self._seed = bytes(seed)
        self._mlkem, self._x25519 = _expand_seed(self._seed)
        self._pk_x = raw_public(self._x25519.public_key())

    @classmethod
    def generate(cls) -> MLKEM768X25519Identity:
        return cls(os.urandom(SEED_SIZE))

    @classmethod
    def parse(cls, text: str) -> MLKEM768X25519Identity:
        try:
            hrp, data = bech32.decode(text.strip())
        except bech32.Bech32Error as exc:
            raise InvalidIdentity(f"malformed secret key: {exc}") from exc
        if hrp != IDENTITY_HRP:
            raise InvalidIdentity(
                "not a hybrid secret key (it must start with AGE-SECRET-KEY-PQ-1)"
            )
        return cls(data)

    @property
    def recipient(self) -> MLKEM768X25519Recipient:
        mlkem_public = self._mlkem.public_key().public_bytes_raw()
        return MLKEM768X25519Recipient(mlkem_public + self._pk_x)

    def unwrap(self, stanzas: list[Stanza]) -> bytes | None:
        return unwrap_first(stanzas, STANZA_TYPE, self._unwrap_one)

    def _unwrap_one(self, stanza: Stanza) -> bytes | None:
        if len(stanza.args) != 1:
            raise MalformedStanza("an mlkem768x25519 stanza has exactly one argument")
        enc = b64decode(stanza.args[0])
        if len(enc) != ENC_SIZE:
            raise MalformedStanza(f"the hybrid share is not {ENC_SIZE} bytes")
        if len(stanza.body) != FILE_KEY_SIZE + TAG_SIZE:
            raise MalformedStanza("the wrapped file key has the wrong length")
        ct_m, ct_x = enc[:MLKEM_CIPHERTEXT_SIZE], enc[MLKEM_CIPHERTEXT_SIZE:]
        ss_x = shared_secret(self._x25519, ct_x)
        ss_m = self._mlkem.decapsulate(ct_m)
        key, nonce = _hpke_key_and_nonce(_combine(ss_m, ss_x, ct_x, self._pk_x))
        try:
            return ChaCha20Poly1305(key).decrypt(nonce, stanza.body, b"")
        except InvalidTag:
            return None

    def __str__(self) -> str:
        return bech32.encode(IDENTITY_HRP, self._seed)

    def __repr__(self) -> str:
        return "MLKEM768X25519Identity(…)"
