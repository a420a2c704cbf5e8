"""What the device can tell about a stored session without decrypting anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .state import RECORDING, SessionState


@dataclass(frozen=True)
class StoredFile:
    name: str
    kind: str
    size: int
    #: sha256 of the ciphertext as written (None while a file is still being written).
    sha256: str | None
    complete: bool


@dataclass(frozen=True)
class SessionInfo:
    id: str
    state: str
    #: Wall-clock start, seconds since the epoch (as good as the device's clock was).
    started_at: float
    duration_s: float
    #: Bytes the session takes on the card now (read from the directory).
    size_bytes: int
    mark_count: int
    parts: tuple[str, ...]
    files: tuple[StoredFile, ...]
    directory: Path
    reason: str | None = None

    @property
    def clip_count(self) -> int:
        return sum(1 for f in self.files if f.kind == "clip")

    @property
    def consent_recorded(self) -> bool:
        """Whether the family's consent record is stored with the session (not what it says:
        the device cannot read it)."""
        return any(f.kind == "consent" for f in self.files)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "state": self.state,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "size_bytes": self.size_bytes,
            "mark_count": self.mark_count,
            "clip_count": self.clip_count,
            "consent_recorded": self.consent_recorded,
            "parts": list(self.parts),
            "reason": self.reason,
            "files": [vars(f) for f in self.files],
        }


def session_info(state: SessionState, directory: Path, now: float) -> SessionInfo:
    files = tuple(
        StoredFile(f.name, f.kind, f.size, f.sha256, f.complete) for f in state.files
    )
    if state.duration_s is not None:
        duration = state.duration_s
    elif state.state == RECORDING:
        duration = max(0.0, now - state.started_at)
    else:
        duration = 0.0
    size = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    return SessionInfo(
        id=state.id,
        state=state.state,
        started_at=state.started_at,
        duration_s=duration,
        size_bytes=size,
        mark_count=state.mark_count,
        parts=tuple(f.name for f in state.files if f.kind == "part"),
        files=files,
        directory=directory,
        reason=state.reason,
    )
