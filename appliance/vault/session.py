"""Writing one session: its parts, marks, clips and metadata, all age-encrypted.

Every file is encrypted to all recipients enrolled when the session started, with a fresh
file key that lives only in this process's memory. The plaintext bookkeeping (state.json)
follows each step, and always lags the files rather than leads them: a power cut can leave
a file that state.json does not list yet (the recovery scan finds it), never an entry
without its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import RecordingConfig
from .age import AgeWriter, Recipient
from .atomic_file import replace_atomically_with
from .audit import AuditLog
from .errors import SessionClosed, storage_errors
from .filesystem import FileSystem, WritableFile
from .session_files import (
    CONSENT_FILE,
    METADATA_FILE,
    file_digest,
    numbered_name,
    padded_json,
)
from .state import COMPLETE, INTERRUPTED, FileRecord, SessionState, write_state

if TYPE_CHECKING:
    from .space import SpaceMeter


class HashingSink:
    """Passes ciphertext to the file while hashing it, so nothing is read back to hash it."""

    def __init__(self, file: WritableFile) -> None:
        self.file = file
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        written = self.file.write(data)
        written = len(data) if written is None else written
        self._digest.update(memoryview(data)[:written])
        self.size += written
        return written

    def flush(self) -> None:
        self.file.flush()

    def fileno(self) -> int:
        return self.file.fileno()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


#: Told once, when a media file is sealed or abandoned, the record state.json keeps of it.
PartClosed = Callable[["PartWriter", FileRecord], None]


class PartWriter:
    """One encrypted media file (a part or a clip) being written.

    `bytes_written` counts ciphertext bytes handed to the file (its size on the card), the
    figure that `should_rotate` compares with `recording.part_max_bytes`. The writer knows
    nothing of its session: what it needs, and whom to tell when it is closed, are passed in.
    """

    def __init__(
        self,
        path: Path,
        kind: str,
        file: WritableFile,
        *,
        fs: FileSystem,
        recipients: list[Recipient],
        on_closed: PartClosed,
    ) -> None:
        self.path = path
        self.name = path.name
        self.kind = kind
        self._file = file
        self._sink = HashingSink(file)
        self._fs = fs
        self._on_closed = on_closed
        self._age = AgeWriter(self._sink, recipients, on_sync=self._fsync)
        self._fsync()
        self.closed = False

    @property
    def pending(self) -> int:
        return self._age.pending

    @property
    def bytes_written(self) -> int:
        return self._sink.size

    def write(self, data: bytes | memoryview) -> int:
        self._check_open()
        with storage_errors(self.name):
            return self._age.write(data)

    def sync(self, filler: bytes = b"") -> None:
        """Make everything written so far durable (see AgeWriter.sync for the filler)."""
        self._check_open()
        with storage_errors(self.name):
            self._age.sync(filler)

    def _check_open(self) -> None:
        if self.closed:
            raise SessionClosed(f"{self.path} is already closed")

    def close(self, final_filler: bytes = b"") -> None:
        """Seal the file, make it durable and record its size and sha256 in state.json."""
        if self.closed:
            return
        with storage_errors(self.name):
            self._age.close(final_filler)
            self._file.close()
        self.closed = True
        size, sha256 = self._sink.size, self._sink.hexdigest()
        self._on_closed(self, FileRecord(self.name, self.kind, size, sha256, complete=True))

    def abandon(self) -> None:
        """Give up on the file (the session ends without sealing it): it stays unfinished."""
        if self.closed:
            return
        self.closed = True
        # A full disk may refuse the last flush; the digest below reads what is there.
        with contextlib.suppress(OSError):
            self._file.close()
        size, sha256 = file_digest(self.path)
        self._on_closed(self, FileRecord(self.name, self.kind, size, sha256, complete=False))

    def discard(self) -> None:
        """Close the file unsealed and tell no one: its owner is about to delete it (a mark
        removed while its clip was still being cut)."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self._file.close()

    def _fsync(self) -> None:
        self._fs.fsync(self._file)


def write_small_file(
    fs: FileSystem,
    directory: Path,
    state: SessionState,
    kind: str,
    name: str,
    document: dict,
    recipients: list[Recipient],
) -> bool:
    """Seal `document` as the small file `name` of a session, durably, and list it in
    `state` (state.json). True if it replaced an earlier version.

    A file being replaced is first listed without a hash, so state.json never vouches for
    content that is no longer there: a power cut between the rename and the bookkeeping
    would otherwise leave a hash that no export could ever verify. Recovery hashes what
    it finds instead, which is the old version or the new one, whole.
    """
    data = padded_json(document, kind)
    replaced = state.file(name) is not None
    if replaced:
        state.put_file(FileRecord(name, kind))
        write_state(fs, directory, state)
    sink: HashingSink | None = None

    def seal(file: WritableFile) -> None:
        nonlocal sink
        sink = HashingSink(file)
        writer = AgeWriter(sink, recipients, on_sync=lambda: fs.fsync(file))
        writer.write(data)
        writer.close()

    replace_atomically_with(fs, directory / name, seal)
    assert sink is not None
    state.put_file(FileRecord(name, kind, sink.size, sink.hexdigest(), True))
    write_state(fs, directory, state)
    return replaced


def write_consent_file(
    fs: FileSystem,
    directory: Path,
    state: SessionState,
    document: dict,
    recipients: list[Recipient],
    audit: AuditLog,
) -> bool:
    """The consent record as its own file (consent.json.age), audited without its content."""
    replaced = write_small_file(fs, directory, state, "consent", CONSENT_FILE, document,
                                recipients)
    audit.append("consent_recorded", session=state.id, replaced=replaced)
    return replaced


class SessionWriter:
    def __init__(
        self,
        state: SessionState,
        directory: Path,
        *,
        fs: FileSystem,
        recipients: list[Recipient],
        recording: RecordingConfig,
        audit: AuditLog,
        space: SpaceMeter,
        wall_clock: Callable[[], float],
    ) -> None:
        self.state = state
        self.directory = directory
        self.fs = fs
        self.recipients = list(recipients)
        self._recording = recording
        self._audit = audit
        self._space = space
        self._wall_clock = wall_clock
        self._metadata: dict = {}
        self._open: list[PartWriter] = []
        self._lock = threading.RLock()
        self._next_part = 1 + sum(1 for f in state.files if f.kind == "part")
        self.finished = False

    @property
    def id(self) -> str:
        return self.state.id

    # --- media files -----------------------------------------------------------------

    def open_part(self) -> PartWriter:
        with self._lock:
            self._check_open()
            number = self._next_part
            self._next_part += 1
            return self._open_media("part", number)

    def open_clip(self, number: int) -> PartWriter:
        with self._lock:
            self._check_open()
            return self._open_media("clip", number)

    def _open_media(self, kind: str, number: int) -> PartWriter:
        name = numbered_name(kind, number)
        with storage_errors(name):
            file = self.fs.open_new(self.directory / name)
            try:
                part = PartWriter(
                    self.directory / name,
                    kind,
                    file,
                    fs=self.fs,
                    recipients=self.recipients,
                    on_closed=self._part_closed,
                )
            except BaseException:
                file.close()
                raise
        self._open.append(part)
        self.state.put_file(FileRecord(name=name, kind=kind))
        write_state(self.fs, self.directory, self.state)  # its directory fsync covers `name`
        return part

    def _part_closed(self, part: PartWriter, record: FileRecord) -> None:
        with self._lock:
            if part in self._open:
                self._open.remove(part)
            self.state.put_file(record)
            write_state(self.fs, self.directory, self.state)

    # --- small files -----------------------------------------------------------------

    def write_mark(self, number: int, record: dict) -> None:
        """Write mark number `number`, durable before this returns."""
        with self._lock:
            self._check_open()
            self._write_small("mark", numbered_name("mark", number), record)

    def remove_mark(self, number: int) -> None:
        """Delete mark number `number` for good (the practitioner removed it while
        recording), audited by number only: what it said is gone with it."""
        with self._lock:
            self._check_open()
            if self._remove_file(numbered_name("mark", number)):
                self._audit.append("mark_removed", session=self.id, mark=number)

    def remove_clip(self, number: int) -> None:
        """Delete the clip of a removed mark, even one still being cut (it is closed
        unsealed first); audited by number only."""
        with self._lock:
            self._check_open()
            name = numbered_name("clip", number)
            for part in [p for p in self._open if p.name == name]:
                part.discard()
                self._open.remove(part)
            if self._remove_file(name):
                self._audit.append("clip_removed", session=self.id, clip=number)

    def _remove_file(self, name: str) -> bool:
        """Unlink `name`, then forget it in state.json (which lags the files, as ever: a
        cut between the two is a listed file gone missing, which recovery drops)."""
        path = self.directory / name
        with storage_errors(name):
            present = path.exists()
            if present:
                self.fs.unlink(path)
                self.fs.fsync_dir(self.directory)
            listed = self.state.drop_file(name)
            if listed:
                write_state(self.fs, self.directory, self.state)
        return present or listed

    def update_metadata(self, changes: dict) -> None:
        """Merge `changes` into the session's metadata and rewrite session.json.age."""
        with self._lock:
            self._check_open()
            self._metadata = {**self._metadata, **changes}
            self._write_small("metadata", METADATA_FILE, self._metadata)

    def write_consent(self, document: dict) -> bool:
        """Write (or replace) the family's consent record; True if it replaced one."""
        with self._lock:
            self._check_open()
            return write_consent_file(
                self.fs, self.directory, self.state, document, self.recipients, self._audit
            )

    def _write_small(self, kind: str, name: str, document: dict) -> None:
        write_small_file(self.fs, self.directory, self.state, kind, name, document,
                         self.recipients)

    # --- the session as a whole --------------------------------------------------------

    def should_rotate(self, part_seconds: float, part_bytes: int) -> bool:
        """True when the current part is long or big enough to start the next one."""
        return (
            part_seconds >= self._recording.part_max_seconds
            or part_bytes >= self._recording.part_max_bytes
        )

    def at_reserve(self) -> bool:
        """True once free space has reached the reserve: stop the session cleanly."""
        return self._space.at_reserve()

    def finish(
        self, state: str, reason: str | None = None, *, duration_s: float | None = None
    ) -> None:
        """End the session as `complete` or `interrupted`; unsealed files stay unfinished.

        `duration_s` is the recorded media time, when the caller knows it; otherwise the
        wall-clock time since the start is used.
        """
        if state not in (COMPLETE, INTERRUPTED):
            raise ValueError(f"a session finishes as complete or interrupted, not {state!r}")
        with self._lock:
            self._check_open()
            for part in list(self._open):
                part.abandon()
            ended_at = self._wall_clock()
            self.state.move_to(state)
            self.state.ended_at = ended_at
            self.state.duration_s = (
                duration_s if duration_s is not None
                else max(0.0, ended_at - self.state.started_at)
            )
            self.state.reason = reason
            write_state(self.fs, self.directory, self.state)
            self.finished = True
            self._audit.append(
                "session_finished",
                session=self.id,
                state=state,
                reason=reason,
                parts=sum(1 for f in self.state.files if f.kind == "part"),
                marks=self.state.mark_count,
                clips=sum(1 for f in self.state.files if f.kind == "clip"),
            )

    def _check_open(self) -> None:
        if self.finished:
            raise SessionClosed(f"session {self.id} is already finished")
