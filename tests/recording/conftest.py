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
        self.rotation_questions: list[tuple[float, int]] = []

    def open_part(self) -> MemoryPartWriter:
        self.parts.append(MemoryPartWriter())
        return self.parts[-1]

    def open_clip(self, number: int) -> MemoryPartWriter:
        self.clips[number] = MemoryPartWriter()
        return self.clips[number]

    def remove_clip(self, number: int) -> None:
        self.clips.pop(number, None)

    def should_rotate(self, part_seconds: float, part_bytes: int) -> bool:
        self.rotation_questions.append((part_seconds, part_bytes))
        return part_seconds >= self.part_seconds


@pytest.fixture
def memory_session() -> MemorySession:
    return MemorySession()
