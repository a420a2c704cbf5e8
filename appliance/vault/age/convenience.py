"""One-call helpers for small payloads (session metadata, marks, tests)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from .armor import ArmorWriter
from .primitives import Identity, Recipient
from .reader import AgeReader
from .writer import AgeWriter


def encrypt_bytes(data: bytes, recipients: Iterable[Recipient], *, armor: bool = False) -> bytes:
    sink = io.BytesIO()
    target = ArmorWriter(sink) if armor else sink
    writer = AgeWriter(target, recipients)
    writer.write(data)
    writer.close()
    if isinstance(target, ArmorWriter):
        target.close()
    return sink.getvalue()


def decrypt_bytes(data: bytes, identities: Iterable[Identity]) -> bytes:
    return AgeReader(io.BytesIO(data), identities).read()


def decrypt_file(path: str | Path, identities: Iterable[Identity]) -> bytes:
    with open(path, "rb") as source:
        return AgeReader(source, identities).read()
