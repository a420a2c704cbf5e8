"""Free space on the SD card, in bytes and in minutes of recording.

A recording that runs the card full loses its end and can corrupt what the system needs,
so the vault keeps a reserve (`storage.reserve_bytes`) that recording never touches: a
session may start only when, beyond the reserve, there is room for
`storage.start_headroom_minutes` of recording, and a running session stops cleanly when
free space reaches the reserve (`at_reserve`).

Minutes are counted at the configured video bit rate plus the audio bit rate, plus the
filler that pads the plaintext to a chunk boundary at every durable sync (half a chunk on
average per sync), since that is what a part really costs on the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import RecordingConfig, StorageConfig
from .errors import NotEnoughSpace
from .filesystem import FileSystem


@dataclass(frozen=True)
class FreeSpace:
    #: Free bytes on the card, reserve included.
    bytes: int
    #: Minutes of recording that fit before the reserve is reached.
    minutes: float


def recording_bytes_per_second(recording: RecordingConfig, chunk_size: int) -> float:
    media = (recording.bitrate + recording.audio_bitrate) / 8
    sync_filler = (chunk_size / 2) / recording.sync_interval
    return media + sync_filler


class SpaceMeter:
    def __init__(
        self,
        data_dir: Path,
        fs: FileSystem,
        storage: StorageConfig,
        recording: RecordingConfig,
        chunk_size: int,
    ) -> None:
        self._data_dir = Path(data_dir)
        self._fs = fs
        self._storage = storage
        self._rate = recording_bytes_per_second(recording, chunk_size)

    def free_bytes(self) -> int:
        existing = self._data_dir
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        return self._fs.free_bytes(existing)

    def free_space(self) -> FreeSpace:
        free = self.free_bytes()
        usable = max(0, free - self._storage.reserve_bytes)
        return FreeSpace(bytes=free, minutes=usable / self._rate / 60)

    def at_reserve(self) -> bool:
        """True once recording more would eat into the reserve: time to stop cleanly."""
        return self.free_bytes() <= self._storage.reserve_bytes

    def check_can_start(self) -> None:
        space = self.free_space()
        needed = self._storage.start_headroom_minutes
        if space.bytes <= self._storage.reserve_bytes or space.minutes < needed:
            raise NotEnoughSpace(
                f"not enough free space to start: {space.minutes:.1f} minutes of recording "
                f"left, at least {needed:g} needed beyond the reserve"
            )
