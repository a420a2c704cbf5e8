"""The age file format (age-encryption.org/v1), streaming, on `cryptography`.

Files written here open with the reference `age` command and vice versa. The reader is as
strict as `age` and releases plaintext only chunk by chunk, after authenticating each.
"""

from .armor import ArmorReader, ArmorWriter
from .convenience import decrypt_bytes, decrypt_file, encrypt_bytes
from .errors import (
    AgeError,
    AgeIOError,
    ArmorError,
    CutOrDamagedChunk,
    EmptyFinalChunk,
    HeaderMacMismatch,
    InvalidFiller,
    InvalidIdentity,
    InvalidPassphrase,
    InvalidRecipient,
    MalformedHeader,
    MalformedStanza,
    NoIdentityMatched,
    NoRecipients,
    PayloadError,
    PrivateKeyGivenAsRecipient,
    ScryptNotAlone,
    TamperedChunk,
    TrailingData,
    TruncatedStream,
    UnsupportedVersion,
    WorkFactorTooLarge,
    WriterClosed,
)
from .mlkem768x25519 import MLKEM768X25519Identity, MLKEM768X25519Recipient
from .parse import parse_identity, parse_identity_file, parse_recipient, parse_recipients_file
from .primitives import Identity, Recipient
from .reader import AgeReader, SalvageReport, salvage
from .scrypt import ScryptIdentity, ScryptRecipient
from .stream import CHUNK_SIZE
from .writer import AgeWriter
from .x25519 import X25519Identity, X25519Recipient

__all__ = [
    "CHUNK_SIZE",
    "AgeError",
    "AgeIOError",
    "AgeReader",
    "AgeWriter",
    "ArmorError",
    "ArmorReader",
    "ArmorWriter",
    "CutOrDamagedChunk",
    "EmptyFinalChunk",
    "HeaderMacMismatch",
    "Identity",
    "InvalidFiller",
    "InvalidIdentity",
    "InvalidPassphrase",
    "InvalidRecipient",
    "MLKEM768X25519Identity",
    "MLKEM768X25519Recipient",
    "MalformedHeader",
    "MalformedStanza",
    "NoIdentityMatched",
    "NoRecipients",
    "PayloadError",
    "PrivateKeyGivenAsRecipient",
    "Recipient",
    "SalvageReport",
    "ScryptIdentity",
    "ScryptNotAlone",
    "ScryptRecipient",
    "TamperedChunk",
    "TrailingData",
    "TruncatedStream",
    "UnsupportedVersion",
    "WorkFactorTooLarge",
    "WriterClosed",
    "X25519Identity",
    "X25519Recipient",
    "decrypt_bytes",
    "decrypt_file",
    "encrypt_bytes",
    "parse_identity",
    "parse_identity_file",
    "parse_recipient",
    "parse_recipients_file",
    "salvage",
]
