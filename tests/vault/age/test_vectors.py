"""Every official age test vector passes under its own rules.

The outcome class must match `expect`, and the SHA-256 of all plaintext released before
the error must equal `payload` (so nothing unauthenticated ever leaves the reader).
"""

from __future__ import annotations

import hashlib
import io

import pytest

from appliance.vault.age import (
    AgeError,
    AgeReader,
    ArmorError,
    HeaderMacMismatch,
    MalformedHeader,
    NoIdentityMatched,
    PayloadError,
    ScryptIdentity,
    parse_identity,
)

from .vectors import load_vector, require_vectors, vector_names

EXPECTED_ERROR: dict[str, type[AgeError] | None] = {
    "success": None,
    "no match": NoIdentityMatched,
    "HMAC failure": HeaderMacMismatch,
    "header failure": MalformedHeader,
    "payload failure": PayloadError,
    "armor failure": ArmorError,
}

REQUIRED_FAMILIES = (
    "x25519",
    "scrypt",
    "stream",
    "header",
    "hmac",
    "stanza",
    "armor",
    "hybrid",
)


def test_every_required_family_is_present():
    require_vectors()
    families = {name.split("_")[0] for name in vector_names()}
    assert set(REQUIRED_FAMILIES) <= families


def _decrypt(vector) -> tuple[bytes, AgeError | None]:
    identities = [parse_identity(text) for text in vector.identities]
    identities += [ScryptIdentity(text) for text in vector.passphrases]
    released = bytearray()
    try:
        reader = AgeReader(io.BytesIO(vector.body), identities, armored=vector.armored)
        for chunk in reader:
            released += chunk
    except AgeError as exc:
        return bytes(released), exc
    return bytes(released), None


@pytest.mark.parametrize("name", vector_names())
def test_vector(name):
    folder = require_vectors()
    vector = load_vector(folder / name)
    released, error = _decrypt(vector)
    expected = EXPECTED_ERROR[vector.expect]
    if expected is None:
        assert error is None, f"{name}: unexpected {type(error).__name__}: {error}"
    else:
        assert isinstance(error, expected), f"{name}: got {type(error).__name__}: {error}"
    if vector.payload_sha256 is not None:
        assert hashlib.sha256(released).hexdigest() == vector.payload_sha256
    elif expected is not None:
        assert released == b""
