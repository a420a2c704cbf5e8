"""Deciding, before writing anything, what can go onto this stick.

FAT32 is the lowest common denominator of sticks, so every export keeps to its rules
whatever the stick's filesystem is: files below 4 GiB, short ASCII names. When the stick
is too small for everything, whole sessions go, oldest first: a half-exported session would
only have to be exported again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import NotFatSafe

FAT32_MAX_FILE = 4 * 1024**3 - 1
MAX_NAME = 64
SESSION_OVERHEAD = 64 * 1024
_FAT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_fat_name(name: str) -> None:
    if len(name) > MAX_NAME or not _FAT_NAME.match(name) or name.endswith("."):
        raise NotFatSafe(f"The file name {name!r} cannot be stored on a FAT32 stick.")


def check_fat_file(name: str, size: int) -> None:
    check_fat_name(name)
    if size > FAT32_MAX_FILE:
        raise NotFatSafe(f"{name} is {size} bytes, too big for a FAT32 stick (4 GiB at most).")


@dataclass(frozen=True)
class PlannedSession:
    session_id: str
    bytes_needed: int


@dataclass(frozen=True)
class Plan:
    take: tuple[PlannedSession, ...]
    left_for_space: tuple[PlannedSession, ...]


def round_up(size: int, block: int) -> int:
    return -(-size // block) * block if block > 0 else size


def plan_sessions(
    sessions: Sequence[PlannedSession], free_bytes: int | None
) -> Plan:
    """Whole sessions that fit, oldest first (the input is oldest first).

    `free_bytes` None means the stick does not say (some FUSE filesystems report 0 blocks);
    then everything is tried and a full stick is caught when a write fails.
    """
    if free_bytes is None:
        return Plan(tuple(sessions), ())
    take, left = [], []
    remaining = free_bytes
    for session in sessions:
        if session.bytes_needed <= remaining:
            take.append(session)
            remaining -= session.bytes_needed
        else:
            left.append(session)
    return Plan(tuple(take), tuple(left))
