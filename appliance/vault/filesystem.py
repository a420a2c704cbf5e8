"""The file layer: every write the vault makes to the SD card goes through one of these.

Durability is the vault's promise (a power cut loses at most the last sync), and it can only
be tested if the writes, fsyncs, renames and directory fsyncs are visible to a test. So the
vault never calls `open(..., "w")` or `os.replace` itself: it asks a file layer.

- `OsFileSystem` is the real thing.
- `LossyFileSystem` (in `lossy_filesystem.py`, beside it as gpiozero keeps `mock.py` beside
  its real pin factories) is its twin for tests of any box: it writes real files under a root
  directory, and remembers what an fsync made durable. `power_cut()` turns the directory
  back into what a disk would hold after the power went: files keep only their fsynced
  content, and directory entries (creations, renames, deletions) survive only if their
  directory was fsynced afterwards. `cut_after(n)` pulls the plug at the n-th operation,
  which lets a test cut at "random moments". Free space can be faked, and writes beyond it
  fail as a full disk does (ENOSPC). By default it is as strict as POSIX; with
  `fsync_persists_entry=True` an fsync also makes the file's own directory entry durable,
  as ext4's journal does in practice, so a file can survive that no bookkeeping lists yet.

Reading is not part of the layer: the real files always show what the running system sees.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self


class WritableFile(Protocol):
    """A file the layer opened for writing: what the vault does with one, and no more, so
    that a test twin's file (`LossyFile`) is held to the same calls as a real one."""

    def write(self, data: bytes | memoryview, /) -> int: ...
    def flush(self) -> None: ...
    def fileno(self) -> int: ...
    def truncate(self, size: int, /) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None: ...


class FileSystem(Protocol):
    def open_new(self, path: Path) -> WritableFile: ...
    def open_append(self, path: Path) -> WritableFile: ...
    def fsync(self, file: WritableFile) -> None: ...
    def replace(self, src: Path, dst: Path) -> None: ...
    def fsync_dir(self, path: Path) -> None: ...
    def mkdir(self, path: Path) -> None: ...
    def unlink(self, path: Path) -> None: ...
    def rmdir(self, path: Path) -> None: ...
    def free_bytes(self, path: Path) -> int: ...


class OsFileSystem:
    """The operating system's files, with the calls durability needs spelled out."""

    def open_new(self, path: Path) -> WritableFile:
        """Create a file that must not exist yet (an existing one is never overwritten)."""
        return open(path, "xb")

    def open_append(self, path: Path) -> WritableFile:
        return open(path, "ab")

    def fsync(self, file: WritableFile) -> None:
        file.flush()
        os.fsync(file.fileno())

    def replace(self, src: Path, dst: Path) -> None:
        os.replace(src, dst)

    def fsync_dir(self, path: Path) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def mkdir(self, path: Path) -> None:
        os.mkdir(path)

    def unlink(self, path: Path) -> None:
        os.unlink(path)

    def rmdir(self, path: Path) -> None:
        os.rmdir(path)

    def free_bytes(self, path: Path) -> int:
        """Bytes an unprivileged writer may still use on the file system holding `path`."""
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize


def make_dirs_durably(fs: FileSystem, path: Path) -> None:
    """Create `path` and any missing parents, fsyncing each parent so the entries survive."""
    missing = []
    current = Path(path)
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            fs.mkdir(directory)
        except FileExistsError:
            continue
        fs.fsync_dir(directory.parent)
