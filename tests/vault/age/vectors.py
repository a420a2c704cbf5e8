"""The C2SP CCTV age test vectors, kept in the repo (`testdata/cctv-age`, see its README.md)."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Overridable so the suite can point at another checkout of the vectors.
VECTORS_ENV = "VIG_AGE_VECTORS"


def vectors_dir() -> Path:
    default = Path(__file__).resolve().parent / "testdata" / "cctv-age"
    return Path(os.environ.get(VECTORS_ENV, default))


@dataclass
class Vector:
    name: str
    expect: str
    payload_sha256: str | None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    body: bytes = b""


def load_vector(path: Path) -> Vector:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    if fields.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return Vector(
        name=path.name,
        expect=fields["expect"][0],
        payload_sha256=fields.get("payload", [None])[0],
        identities=fields.get("identity", []),
        passphrases=fields.get("passphrase", []),
        armored=fields.get("armored") == ["yes"],
        body=body,
    )


def vector_names() -> list[str]:
    folder = vectors_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != "README.md")


def require_vectors() -> Path:
    folder = vectors_dir()
    if not (folder / "README.md").is_file():
        pytest.fail(f"the age test vectors are missing: expected them in {folder}", pytrace=False)
    return folder
