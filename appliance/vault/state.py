"""state.json: the plaintext bookkeeping of one session.

The device cannot decrypt what it recorded, yet it must list sessions, resume after a power
cut and verify an export. So each session directory holds a small plaintext file with only
what that needs: the state, times, and for each ciphertext file its name, size and the
sha256 of the ciphertext. No case code, no mark, no note: those live in age files.
The file is always replaced atomically (see `atomic_file`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .atomic_file import replace_atomically
from .errors import CorruptStateFile, InvalidTransition
from .filesystem import FileSystem

STATE_FILE = "state.json"
FORMAT = 1

RECORDING = "recording"
COMPLETE = "complete"
INTERRUPTED = "interrupted"
EXPORTED = "exported"
DELETED = "deleted"

#: recording → complete | interrupted → exported → deleted; a session may be deleted from
#: any state (consent withdrawn); "deleted" is written first, so a cut mid-delete resumes.
TRANSITIONS = {
    RECORDING: {COMPLETE, INTERRUPTED, DELETED},
    COMPLETE: {EXPORTED, DELETED},
    INTERRUPTED: {EXPORTED, DELETED},
    EXPORTED: {EXPORTED, DELETED},
    DELETED: {DELETED},
}

FILE_KINDS = ("metadata", "consent", "part", "mark", "clip")


@dataclass
class FileRecord:
    name: str
    kind: str
    size: int = 0
    sha256: str | None = None
    #: False while being written, and for a file found unfinished after a power cut.
    complete: bool = False


@dataclass
class SessionState:
    id: str
    state: str
    started_at: float
    ended_at: float | None = None
    duration_s: float | None = None
    reason: str | None = None
    files: list[FileRecord] = field(default_factory=list)
    exports: list[dict] = field(default_factory=list)

    def file(self, name: str) -> FileRecord | None:
        return next((f for f in self.files if f.name == name), None)

    def put_file(self, record: FileRecord) -> None:
        """Add the record, or replace the one with the same name."""
        self.files = [f for f in self.files if f.name != record.name] + [record]
        self.files.sort(key=lambda f: (FILE_KINDS.index(f.kind), f.name))

    def drop_file(self, name: str) -> bool:
        """Forget the record named `name` (its file has been removed); False if none."""
        kept = [f for f in self.files if f.name != name]
        dropped = len(kept) != len(self.files)
        self.files = kept
        return dropped

    def move_to(self, new_state: str) -> None:
        if new_state not in TRANSITIONS.get(self.state, ()):
            raise InvalidTransition(
                f"session {self.id} is {self.state} and cannot become {new_state}"
            )
        self.state = new_state

    @property
    def mark_count(self) -> int:
        return sum(1 for f in self.files if f.kind == "mark")

    def to_json(self) -> bytes:
        document = {"format": FORMAT, **asdict(self)}
        return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: Path) -> SessionState:
        try:
            document = json.loads(data)
            file_format = document.pop("format", None)
            files = [FileRecord(**f) for f in document.pop("files")]
            state = cls(files=files, **document)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CorruptStateFile(f"{where} cannot be read: {exc}") from exc
        if file_format != FORMAT:
            raise CorruptStateFile(f"{where}: unknown state file format {file_format!r}")
        if state.state not in TRANSITIONS:
            raise CorruptStateFile(f"{where}: unknown session state {state.state!r}")
        return state


def read_state(session_dir: Path) -> SessionState:
    path = session_dir / STATE_FILE
    return SessionState.from_json(path.read_bytes(), path)


def write_state(fs: FileSystem, session_dir: Path, state: SessionState) -> None:
    replace_atomically(fs, session_dir / STATE_FILE, state.to_json())
