"""Fixtures of the recording tests: an in-memory session standing in for the vault."""

from __future__ import annotations

import pytest

from .memory_part import MemoryPartWriter


class MemorySession:
    """SessionWriter-shaped: parts and clips in memory, rotation after `part_seconds`."""

    def __init__(self, part_seconds: float = 1e9) -> None:
        self.part_seconds = part_seconds
        self.parts: list[MemoryPartWriter] = []
        self.clips: dict[int, MemoryPartWriter] = {}
        self.removed_clips: dict[int, MemoryPartWriter] = {}
        self.writes_after_removal = 0
        self.rotation_questions: list[tuple[float, int]] = []

    def open_part(self) -> MemoryPartWriter:
        self.parts.append(MemoryPartWriter())
        return self.parts[-1]

    def open_clip(self, number: int) -> MemoryPartWriter:
        self.clips[number] = MemoryPartWriter()
        return self.clips[number]

    def remove_clip(self, number: int) -> None:
        """As the vault does; a write to the clip after this is counted (the muxer's own
        writes pass through PyAV, which would swallow a failure raised here)."""
        writer = self.clips.pop(number, None)
        if writer is not None:
            self.removed_clips[number] = writer
            writer.write = self._write_after_removal  # type: ignore[method-assign]

    def _write_after_removal(self, data: bytes) -> int:
        self.writes_after_removal += 1
        return len(data)

    def should_rotate(self, part_seconds: float, part_bytes: int) -> bool:
        self.rotation_questions.append((part_seconds, part_bytes))
        return part_seconds >= self.part_seconds


@pytest.fixture
def memory_session() -> MemorySession:
    return MemorySession()
