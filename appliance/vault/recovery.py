"""Start-up recovery: bring each session directory back in line with what is on the card.

After a power cut or a crash a session may still say `recording`, a part may exist that
state.json never listed (the cut came before the bookkeeping), a listed part may have grown
since its entry was written, a temporary file may be left from an atomic replace, and a
deletion may have stopped half-way. Recovery fixes the bookkeeping only: it never changes
a ciphertext file, so everything that was durable stays exportable. Every change is audited.
"""

from __future__ import annotations

import calendar
import dataclasses
import time
from pathlib import Path

from .atomic_file import is_temp_file
from .audit import AuditLog
from .errors import CorruptStateFile
from .filesystem import FileSystem
from .session_files import REPLACED_KINDS, file_digest, kind_of
from .state import (
    DELETED,
    INTERRUPTED,
    RECORDING,
    STATE_FILE,
    FileRecord,
    SessionState,
    read_state,
    write_state,
)

INTERRUPTED_REASON = "power cut or crash while recording"
#: Audited by Vault.delete_session before it writes `deleted`: the only deletions recovery
#: carries out are those the chain records.
DELETION_STARTED = "session_delete_started"
UNAUDITED_DELETION_REASON = (
    "state.json said deleted, but the audit log records no deletion: kept, not deleted"
)
REBUILT_REASON = "state file unreadable; rebuilt from the files found"


def started_at_from(directory: Path) -> float:
    """The start time its id carries (its mtime if the id names no real date)."""
    try:
        return float(calendar.timegm(time.strptime(directory.name[:15], "%Y%m%d-%H%M%S")))
    except ValueError:
        return directory.stat().st_mtime


def remove_session_directory(fs: FileSystem, directory: Path) -> int:
    """Unlink every file, then the state file, then the directory; fsync the parent."""
    removed = 0
    for path in sorted(directory.iterdir()):
        if path.name != STATE_FILE:
            fs.unlink(path)
            removed += 1
    if (directory / STATE_FILE).exists():
        fs.unlink(directory / STATE_FILE)
    fs.rmdir(directory)
    fs.fsync_dir(directory.parent)
    return removed


def recover_session(fs: FileSystem, directory: Path, audit: AuditLog) -> bool:
    """Recover one session directory; True if it was found `recording` (now interrupted)."""
    session_id = directory.name
    reason = INTERRUPTED_REASON
    if not (directory / STATE_FILE).exists():
        if not any(directory.iterdir()):
            fs.rmdir(directory)
            fs.fsync_dir(directory.parent)
            audit.append("session_discarded_empty", session=session_id)
            return False
        state = SessionState(session_id, RECORDING, started_at_from(directory))
    else:
        try:
            state = read_state(directory)
        except CorruptStateFile:
            # Rebuilt from the files themselves; "interrupted" keeps it exportable.
            audit.append("state_file_unreadable", session=session_id)
            reason = REBUILT_REASON
            state = SessionState(session_id, RECORDING, started_at_from(directory))
    refused = False
    if state.state == DELETED:
        if audit.mentions(DELETION_STARTED, session_id):
            files = remove_session_directory(fs, directory)
            audit.append("session_deleted", session=session_id,
                         reason="resumed after power cut", files=files)
            return False
        # A hand-edited state.json must not make the device destroy a recording.
        audit.append("session_deletion_refused", session=session_id,
                     reason="no deletion in the audit log")
        ended_at = state.ended_at or _last_write_time(directory, state.started_at)
        state = dataclasses.replace(
            state, state=INTERRUPTED, reason=UNAUDITED_DELETION_REASON, ended_at=ended_at,
            duration_s=state.duration_s or max(0.0, ended_at - state.started_at),
        )
        refused = True
    changed = _reconcile_files(fs, directory, state, audit) or refused
    interrupted = state.state == RECORDING
    if interrupted:
        state.move_to(INTERRUPTED)
        state.reason = reason
        state.ended_at = _last_write_time(directory, state.started_at)
        state.duration_s = max(0.0, state.ended_at - state.started_at)
    if changed or interrupted:
        write_state(fs, directory, state)
    if interrupted:
        audit.append("session_interrupted", session=session_id, reason=reason,
                     parts=sum(1 for f in state.files if f.kind == "part"),
                     marks=state.mark_count)
    return interrupted


def _reconcile_files(fs: FileSystem, directory: Path, state: SessionState, audit: AuditLog) -> bool:
    changed = False
    on_disk: dict[str, tuple[Path, str]] = {}  # name: where it is, what kind of file
    for path in sorted(directory.iterdir()):
        if is_temp_file(path):
            fs.unlink(path)
            changed = True
        elif (kind := kind_of(path.name)) is not None:
            on_disk[path.name] = (path, kind)
    for listed in list(state.files):
        if listed.name not in on_disk:
            state.files.remove(listed)
            audit.append("file_missing", session=state.id, file=listed.name)
            changed = True
    for name, (path, kind) in on_disk.items():
        record = state.file(name)
        if kind in REPLACED_KINDS:
            changed = _rehash_replaced(state, record, name, path, kind, audit) or changed
            continue
        if record is not None and record.complete:
            continue  # sealed and hashed as written; the exporter verifies it against the hash
        if record is not None and record.sha256 is not None and record.size == path.stat().st_size:
            continue
        size, sha256 = file_digest(path)
        if record is None:
            state.put_file(FileRecord(name, kind, size, sha256, False))
            audit.append("file_found", session=state.id, file=name, bytes=size)
        else:
            state.put_file(FileRecord(name, record.kind, size, sha256, False))
        changed = True
    if changed:
        fs.fsync_dir(directory)
    return changed


def _rehash_replaced(
    state: SessionState, record: FileRecord | None, name: str, path: Path, kind: str,
    audit: AuditLog,
) -> bool:
    """A mark or the metadata as it is on the card (it appears only by a rename, complete);
    True if state.json had to change."""
    size, sha256 = file_digest(path)
    if record is not None and record.complete and (record.size, record.sha256) == (size, sha256):
        return False
    state.put_file(FileRecord(name, kind, size, sha256, True))
    if record is None:
        audit.append("file_found", session=state.id, file=name, bytes=size)
    else:
        audit.append("file_rehashed", session=state.id, file=name, bytes=size)
    return True


def _last_write_time(directory: Path, started_at: float) -> float:
    times = [p.stat().st_mtime for p in directory.iterdir() if p.is_file()]
    return max([started_at, *times])
