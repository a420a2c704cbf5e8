"""The files of a session directory: their names, kinds, and the digest of their ciphertext.

Names carry a kind and a number only (no personal data) and are FAT-safe. Every name is
decided here, so the recovery scan recognises exactly what the writers create.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

METADATA_FILE = "session.json.age"
#: The family's consent record, written from the panel (DESIGN.md, "Consent and retention").
CONSENT_FILE = "consent.json.age"
#: What a manifest and the sessions list say of a session's consent record.
CONSENT_RECORDED = "recorded"
CONSENT_NOT_RECORDED = "not recorded"
DIGEST_BLOCK = 1 << 20
#: Plaintext sizes small files are padded to, so a file's size tells nothing of what it says
#: (which principle a mark carries, how long its note is, how long the case code is). A mark
#: with the longest tag and a 200-character note of escaped control characters fits in one;
#: a consent record is yes/no answers and dates, a few hundred bytes whatever it says.
PADDED_SIZES = {"mark": 2048, "metadata": 4096, "consent": 1024}
#: Small files written whole by an atomic replace, and maybe replaced again (a mark re-tagged
#: while recording, the metadata at Stop, a consent record until export): one on the card is
#: always complete. The writer lists a file it replaces without a hash first, and recovery
#: hashes these again (a few KiB each) rather than trust the record, so a power cut between
#: the rename and state.json's rewrite never leaves a hash that no export could verify.
REPLACED_KINDS = frozenset({"mark", "metadata", "consent"})


def padded_json(document: dict, kind: str) -> bytes:
    """`document` as JSON, followed by spaces up to a multiple of its kind's padded size.

    Trailing whitespace is part of JSON's grammar, so every reader (json.loads, the
    viewer's JSON.parse) ignores it unchanged. A document larger than one bucket (a
    session whose stop reason is a long error text) takes the next multiple.
    """
    data = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
    bucket = PADDED_SIZES[kind]
    return data + b" " * (-len(data) % bucket)

_NUMBERED = re.compile(r"^(part|clip|mark)-(\d{4,})\.(mp4|json)\.age$")
_EXTENSIONS = {"part": "mp4", "clip": "mp4", "mark": "json"}


def numbered_name(kind: str, number: int) -> str:
    if kind not in _EXTENSIONS:
        raise ValueError(f"unknown session file kind {kind!r}")
    if number < 1:
        raise ValueError(f"{kind} numbers start at 1, not {number}")
    return f"{kind}-{number:04d}.{_EXTENSIONS[kind]}.age"


def kind_of(name: str) -> str | None:
    """The kind of a session file named `name`, or None if the vault did not write it."""
    if name == METADATA_FILE:
        return "metadata"
    if name == CONSENT_FILE:
        return "consent"
    match = _NUMBERED.match(name)
    if match is None or _EXTENSIONS[match.group(1)] != match.group(3):
        return None
    return match.group(1)


def number_of(name: str) -> int | None:
    match = _NUMBERED.match(name)
    return int(match.group(2)) if match else None


def file_digest(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file as it is on disk."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as reader:
        while block := reader.read(DIGEST_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()
