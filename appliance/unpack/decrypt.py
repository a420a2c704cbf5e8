"""Decrypting one file: all of it if it is whole, every authenticated chunk if it is not.

Media files go through `salvage`, so a part cut short by a power cut still yields all it
proves authentic; small JSON files must decrypt whole. Only authenticated plaintext is
ever written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..vault.age import AgeError, AgeReader, Identity, NoIdentityMatched, salvage


class CountingReader:
    """A file wrapper that reports how many bytes were read, for the progress bar."""

    def __init__(self, file, progress: Callable[[int], None]) -> None:
        self._file = file
        self._progress = progress

    def read(self, size: int = -1, /) -> bytes:
        data = self._file.read(size)
        self._progress(len(data))
        return data


@dataclass(frozen=True)
class Decrypted:
    name: str
    path: Path
    plaintext_bytes: int
    complete: bool
    reason: AgeError | None


def decrypt_media(
    source: Path,
    out: Path,
    identities: list[Identity],
    progress: Callable[[int], None] = lambda n: None,
) -> Decrypted:
    """Write the plaintext of `source` to `out`; NoIdentityMatched propagates (wrong key)."""
    with open(source, "rb") as raw, open(out, "wb") as sink:
        report = salvage(CountingReader(raw, progress), identities, sink)
    if isinstance(report.reason, NoIdentityMatched):
        out.unlink(missing_ok=True)
        raise report.reason
    return Decrypted(source.name, out, report.plaintext_bytes, report.complete, report.reason)


#: Marks and session metadata are a few KiB; a larger file is not decrypted into memory.
SMALL_DOCUMENT_MAX = 1024 * 1024


def decrypt_json(source: Path, identities: list[Identity]) -> dict[str, Any]:
    """A small encrypted JSON document (session.json.age, mark-NNNN.json.age)."""
    if source.stat().st_size > SMALL_DOCUMENT_MAX:
        raise ValueError(f"{source.name} is over {SMALL_DOCUMENT_MAX} bytes, not a small file")
    with open(source, "rb") as raw:
        data = AgeReader(raw, identities).read()
    document = json.loads(data.decode("utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{source.name} does not hold a JSON object")
    return document
