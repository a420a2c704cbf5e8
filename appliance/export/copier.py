"""Copying one session's files to the stick while the previous file is read back.

Reading back (past the page cache) and hashing cost as much as writing; done one after
the other they would nearly halve the export speed. So a second thread verifies file N
while file N+1 is written: the disk and both cores stay busy. A session counts as copied
only once every file has read back with the hash recorded when it was recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConflictingFile, ExportError, VerifyFailed
from .progress import COPYING, VERIFYING, ProgressTracker
from .stickfs import COPY_BLOCK, StickDir

if TYPE_CHECKING:
    from ..vault import StoredFile


class SourceMismatch(VerifyFailed):
    """A file on the appliance no longer matches the hash recorded when it was written."""

    code = "export.source_mismatch"
    hint = "The session was kept on the appliance; export it again, and report it if it repeats."


class SourceUnreadable(ExportError, OSError):
    """A file of the session cannot be read from the appliance's own storage."""

    code = "export.source_unreadable"
    hint = "The session was kept on the appliance; check its storage, or report this."


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _read_source(source, path: Path) -> bytes:
    """A block of the appliance's file; its failure is the appliance's, not the stick's."""
    try:
        return source.read(COPY_BLOCK)
    except OSError as exc:
        raise SourceUnreadable(f"{path} cannot be read: {exc.strerror or exc}.") from exc


class SessionCopier:
    def __init__(self, session_dir: StickDir, source_dir: Path, tracker: ProgressTracker):
        self._dir = session_dir
        self._source_dir = source_dir
        self._tracker = tracker

    def copy(self, records: Iterable[StoredFile]) -> int:
        """Copy (or recognise) and verify every file; returns the bytes written.

        The new names are made durable by one fsync of the session folder at the end.
        """
        copied = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-verify") as verifier:
            checks: list[Future[None]] = []
            try:
                for record in records:
                    copied += self._put(record, verifier, checks)
            finally:
                self._tracker.enter(VERIFYING, self._tracker.session)
                for check in checks:
                    check.result()
        self._dir.fsync()
        return copied

    def _put(
        self, record: StoredFile, verifier: ThreadPoolExecutor, checks: list[Future[None]]
    ) -> int:
        name = record.name
        existing = self._dir.regular_file(name)
        if existing is not None and existing.st_size != record.size:
            raise ConflictingFile(
                f"{self._dir.describe(name)} already exists on the stick with different content."
            )
        written = 0
        if existing is None:
            self._tracker.enter(COPYING, self._tracker.session)
            path = self._source_dir / name
            try:
                source = open(path, "rb")  # noqa: SIM115 - closed below, errors told apart
            except OSError as exc:
                raise SourceUnreadable(f"{path} cannot be read: {exc.strerror or exc}.") from exc
            with source:
                written = self._dir.write_file(
                    name, lambda: _read_source(source, path), self._tracker.add_bytes,
                    sync_dir=False,
                )
        else:
            self._tracker.add_bytes(record.size)
        checks.append(verifier.submit(self._verify, record, existing is not None))
        return written

    def _verify(self, record: StoredFile, was_there: bool) -> None:
        name, where = record.name, self._dir.describe(record.name)
        back = self._dir.read_back(name, self._tracker.add_bytes)
        if (back.size, back.sha256) == (record.size, record.sha256):
            self._tracker.file_done()
            return
        if was_there:
            raise ConflictingFile(f"{where} already exists on the stick with different content.")
        if file_sha256(self._source_dir / name) != record.sha256:
            raise SourceMismatch(
                f"The appliance's copy of {name} does not match the hash recorded for it."
            )
        raise VerifyFailed(f"{where} reads back differently from what was written.")
