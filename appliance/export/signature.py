"""The device's signature on each MANIFEST.json, shared by the exporter and vig-unpack.

Anyone holding the practitioner's public key can make a file that decrypts (age gives
confidentiality, not authorship), so a manifest alone proves nothing about where a session
came from. The device signs the exact bytes of every MANIFEST.json it writes with its own
Ed25519 key; the manifest lists every file with its sha256 and the audit chain's head at
export time, so a forged, extra or missing file, or an audit log cut since, shows up.

The signature travels next to the manifest as MANIFEST.json.sig, a small JSON document:

    {"format": "vig-manifest-signature/1", "algorithm": "ed25519",
     "public_key": "<base64 of the 32 raw public-key bytes>",
     "signature": "<base64 of the 64-byte Ed25519 signature over MANIFEST.json's bytes>"}

(standard base64 with padding, RFC 4648 section 4). The fingerprint people compare is
"ed25519:" followed by the first 32 hex digits of SHA-256 over the 32 raw public-key bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..vault.device_key import fingerprint, public_key_bytes
from .errors import ExportError

SIGNATURE_NAME = "MANIFEST.json.sig"
SIGNATURE_FORMAT = "vig-manifest-signature/1"
SIGNATURE_ALGORITHM = "ed25519"
#: A signature document is about 200 bytes; a larger one is not read.
SIGNATURE_MAX_BYTES = 4096


class SignatureInvalid(ExportError, ValueError):
    """A manifest's signature is missing, unreadable, or does not match its bytes."""

    code = "export.signature_invalid"
    hint = "The manifest was changed after the device wrote it, or was not written by a device."


def sign_manifest(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    document = {
        "format": SIGNATURE_FORMAT,
        "algorithm": SIGNATURE_ALGORITHM,
        "public_key": base64.b64encode(public_key_bytes(key)).decode("ascii"),
        "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii"),
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")


@dataclass(frozen=True)
class VerifiedSignature:
    public_key: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def verify_manifest(manifest_bytes: bytes, signature_document: bytes) -> VerifiedSignature:
    """The key that signed `manifest_bytes`; SignatureInvalid names what is wrong."""
    try:
        document = json.loads(signature_document)
        if not isinstance(document, dict) or document.get("format") != SIGNATURE_FORMAT:
            raise ValueError("it is not a vig manifest signature")
        if document.get("algorithm") != SIGNATURE_ALGORITHM:
            raise ValueError(f"unknown algorithm {document.get('algorithm')!r}")
        public_raw = base64.b64decode(str(document["public_key"]), validate=True)
        signature = base64.b64decode(str(document["signature"]), validate=True)
        public = Ed25519PublicKey.from_public_bytes(public_raw)
    except (ValueError, KeyError, binascii.Error) as exc:
        raise SignatureInvalid(f"{SIGNATURE_NAME} cannot be read: {exc}.") from exc
    try:
        public.verify(signature, manifest_bytes)
    except InvalidSignature as exc:
        raise SignatureInvalid(
            f"{SIGNATURE_NAME} does not match MANIFEST.json: the manifest was changed after "
            "the device signed it"
        ) from exc
    return VerifiedSignature(public_raw)
