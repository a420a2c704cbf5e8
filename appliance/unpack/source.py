"""Finding the exported sessions under what the user pointed at, and checking them.

SOURCE may be a stick's root, its VIG-EXPORT folder, or one session folder. Every file is
checked against MANIFEST.json before anything is decrypted, so a stick that changed a
byte is named file by file, not discovered as a mysterious decryption error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..export.manifest import (
    EXPORT_DIR_NAME,
    MANIFEST_MAX_BYTES,
    MANIFEST_NAME,
    Manifest,
    ManifestFile,
    ManifestInvalid,
)
from ..vault.session_files import METADATA_FILE, kind_of, number_of
from .errors import NothingToUnpack

HASH_BLOCK = 1 << 20


@dataclass
class SessionSource:
    directory: Path
    manifest: Manifest | None
    #: Why the manifest could not be used, if it could not.
    manifest_problem: str | None = None
    #: name -> what is wrong with it (missing, wrong size, wrong hash).
    damaged: dict[str, str] = field(default_factory=dict)
    #: MANIFEST.json as read from the stick: the bytes the device's signature covers.
    manifest_bytes: bytes | None = None
    #: Why this session cannot be trusted to be what the device exported (see provenance).
    untrusted: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.manifest.session_id if self.manifest else self.directory.name

    @property
    def interrupted(self) -> bool:
        return self.manifest is not None and self.manifest.state == "interrupted"

    def files(self) -> list[ManifestFile]:
        if self.manifest is not None:
            return list(self.manifest.files)
        return [
            ManifestFile(p.name, p.stat().st_size, "", True)
            for p in sorted(self.directory.glob("*.age"))
            if p.is_file()
        ]

    def names(self, kind: str) -> list[str]:
        """The session's files of one kind (`part`, `mark`, `clip`), in number order."""
        named = [f.name for f in self.files() if kind_of(f.name) == kind]
        return sorted(named, key=lambda name: (number_of(name) or 0, name))


def _is_session_dir(path: Path) -> bool:
    return path.is_dir() and (
        (path / MANIFEST_NAME).is_file() or (path / METADATA_FILE).is_file()
    )


def stick_root(source: Path) -> Path:
    """The folder holding VIG-EXPORT when `source` lies inside one (the stick), else `source`."""
    resolved = source.resolve()
    for folder in (resolved, *resolved.parents):
        if folder.name == EXPORT_DIR_NAME:
            return folder.parent
    return resolved


def find_sessions(source: Path) -> tuple[list[SessionSource], Path]:
    """The sessions under `source`, oldest first, and the stick (or folder) they are on."""
    if not source.is_dir():
        raise NothingToUnpack(f"{source} is not a folder.")
    if _is_session_dir(source):
        return [_load(source)], stick_root(source)
    export_dir = source / EXPORT_DIR_NAME if (source / EXPORT_DIR_NAME).is_dir() else source
    sessions = [_load(p) for p in sorted(export_dir.iterdir()) if _is_session_dir(p)]
    if not sessions:
        raise NothingToUnpack(f"No exported session was found in {source}.")
    return sessions, stick_root(source)


def _load(directory: Path) -> SessionSource:
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        return SessionSource(directory, None, "it has no MANIFEST.json")
    if manifest_path.stat().st_size > MANIFEST_MAX_BYTES:
        return SessionSource(
            directory, None, f"its MANIFEST.json is over {MANIFEST_MAX_BYTES} bytes, not one "
            "the appliance wrote"
        )
    raw = manifest_path.read_bytes()
    try:
        manifest = Manifest.from_json(raw, str(manifest_path))
    except ManifestInvalid as exc:
        return SessionSource(directory, None, exc.user_message())
    return SessionSource(directory, manifest, manifest_bytes=raw)


def check_files(session: SessionSource, progress=lambda n: None) -> dict[str, str]:
    """Compare every file with the manifest; returns (and records) what is damaged."""
    if session.manifest is None:
        return {}
    for entry in session.manifest.files:
        path = session.directory / entry.name
        problem = _check_one(path, entry, progress)
        if problem:
            session.damaged[entry.name] = problem
    return session.damaged


def _check_one(path: Path, entry: ManifestFile, progress) -> str | None:
    try:
        size = path.stat().st_size
        if size != entry.size:
            return f"it has {size} bytes, the manifest says {entry.size}"
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while block := fh.read(HASH_BLOCK):
                digest.update(block)
                progress(len(block))
    except FileNotFoundError:
        return "it is missing"
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if digest.hexdigest() != entry.sha256:
        return "its content differs from the manifest (changed or forged since the export)"
    return None
