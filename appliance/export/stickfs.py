"""Writing to an untrusted stick without following links or trusting the page cache.

Everything below the stick's root is reached through directory file descriptors, with
`O_NOFOLLOW` and `lstat` checks, so a link planted on the stick (`VIG-EXPORT` pointing at
`/etc`, a file named like a part pointing elsewhere) is refused, never followed. Files are
written under a temporary name, fsynced, renamed and the directory fsynced; then read back
after dropping their cached pages, so the hash compared is the one of what the stick holds.

`StickDir` owns every call made below the stick's root (the exporter holds no descriptor
of its own), and `StickIO` is the one place that makes the data system calls, so tests can
subclass it to inject a stick that fails after N bytes, fills up, or is pulled.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, overload

from .errors import UnsafeStickEntry

COPY_BLOCK = 1024 * 1024
TEMP_SUFFIX = ".vig-tmp"

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
#: O_NONBLOCK: a FIFO planted on the stick opens at once (and is then refused as not a
#: file) instead of blocking the export for ever; reads of a regular file ignore it.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK

ProgressFn = Callable[[int], None]


class StickIO:
    """The data system calls made on the stick (real OS); subclassed by fault-injecting tests."""

    def write(self, fd: int, data: memoryview) -> int:
        return os.write(fd, data)

    def read(self, fd: int, size: int) -> bytes:
        return os.read(fd, size)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def space(self, fd: int) -> tuple[int | None, int]:
        """Free bytes on the stick's filesystem (None when it does not say) and its block size.

        Some FUSE filesystems (fusefat) report zero blocks in all; then the free space is
        unknown and a full stick shows up as ENOSPC on a write instead.
        """
        vfs = os.fstatvfs(fd)
        block = vfs.f_frsize or vfs.f_bsize or 4096
        return (vfs.f_bavail * vfs.f_frsize if vfs.f_blocks else None), block

    def drop_cache(self, fd: int) -> None:
        """Forget the file's cached pages so the next read comes from the stick itself."""
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def read_ahead(self, fd: int) -> None:
        """Ask for aggressive read-ahead: the read-back goes through the file once, in order."""
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)


@dataclass(frozen=True)
class WrittenFile:
    size: int
    sha256: str


class StickDir:
    """One directory on the stick, held open by descriptor; closes with `close()`."""

    def __init__(self, fd: int, where: str, io: StickIO) -> None:
        self.fd = fd
        self.where = where
        self.io = io

    @classmethod
    def open_root(cls, path: str | os.PathLike[str], io: StickIO) -> StickDir:
        """Open the stick's mount point (it must itself be a real directory, not a link)."""
        fd = os.open(os.fspath(path), _DIR_FLAGS)
        return cls(fd, os.fspath(path), io)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> StickDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self, name: str) -> str:
        return f"{self.where}/{name}"

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def names(self) -> list[str]:
        return os.listdir(self.fd)

    @overload
    def subdir(self, name: str, *, create: Literal[True]) -> StickDir: ...
    @overload
    def subdir(self, name: str, *, create: bool) -> StickDir | None: ...

    def subdir(self, name: str, *, create: bool) -> StickDir | None:
        """Open (and optionally create) a sub-directory, refusing anything but a real one."""
        st = self.lstat(name)
        if st is None:
            if not create:
                return None
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=self.fd)
            st = self.lstat(name)
        if st is None or not stat.S_ISDIR(st.st_mode):
            raise UnsafeStickEntry(
                f"{self.describe(name)} on the stick is not a plain folder (a link or a file)."
            )
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeStickEntry(f"{self.describe(name)} on the stick is a link.") from exc
            raise
        return StickDir(fd, self.describe(name), self.io)

    def regular_file(self, name: str) -> os.stat_result | None:
        """The entry's lstat if it is a regular file, None if absent; refuses anything else."""
        st = self.lstat(name)
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise UnsafeStickEntry(
                f"{self.describe(name)} on the stick is a link or a special file, not a file."
            )
        return st

    def space(self) -> tuple[int | None, int]:
        """Free bytes on the stick (None when it does not say) and its block size."""
        return self.io.space(self.fd)

    def remove_file(self, name: str) -> None:
        """Remove a file from this folder (unlink never follows a link)."""
        os.unlink(name, dir_fd=self.fd)

    def remove_stale_temp(self, name: str) -> None:
        """Remove a temporary left by an interrupted export (unlink never follows a link)."""
        temp = name + TEMP_SUFFIX
        st = self.lstat(temp)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            raise UnsafeStickEntry(f"{self.describe(temp)} on the stick is a folder.")
        os.unlink(temp, dir_fd=self.fd)

    def write_file(
        self, name: str, chunks: Callable[[], bytes], progress: ProgressFn, *,
        sync_dir: bool = True,
    ) -> int:
        """Write `name` from a chunk source (empty bytes = end): temp, fsync, rename, fsync dir.

        `sync_dir=False` leaves the directory fsync to the caller, who then owes one
        `fsync()` of this directory before relying on the new names (one for many files).

        Returns the number of bytes handed to the stick. Nothing is hashed here: what counts
        is what reads back (`read_back`), compared with the hash recorded at recording time.
        """
        temp = name + TEMP_SUFFIX
        self.remove_stale_temp(name)
        fd = os.open(temp, _NEW_FILE_FLAGS, 0o644, dir_fd=self.fd)
        size = 0
        try:
            while chunk := chunks():
                view = memoryview(chunk)
                while view:
                    written = self.io.write(fd, view)
                    view = view[written:]
                    size += written
                    progress(written)
            self.io.fsync(fd)
            self.io.drop_cache(fd)
        finally:
            os.close(fd)
        os.rename(temp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        if sync_dir:
            self.io.fsync(self.fd)
        return size

    def read_small(self, name: str, limit: int) -> bytes | None:
        """The content of a small file the stick supplies, or None when it is over `limit`.

        Only `limit + 1` bytes are ever read: a stick can hold a file of any size where a
        README or a manifest is expected, and reading it whole would exhaust memory.
        """
        fd = self._open_file(name)
        try:
            blocks = []
            wanted = limit + 1
            while wanted > 0 and (block := self.io.read(fd, min(wanted, COPY_BLOCK))):
                blocks.append(block)
                wanted -= len(block)
        finally:
            os.close(fd)
        return None if wanted <= 0 else b"".join(blocks)

    def _open_file(self, name: str) -> int:
        """A descriptor for reading a regular file here; a link or anything else is refused."""
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeStickEntry(f"{self.describe(name)} on the stick is a link.") from exc
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UnsafeStickEntry(f"{self.describe(name)} on the stick is not a file.")
        return fd

    def read_back(self, name: str, progress: ProgressFn) -> WrittenFile:
        """Hash the file as the stick holds it: cached pages dropped before reading."""
        fd = self._open_file(name)
        try:
            self.io.drop_cache(fd)
            self.io.read_ahead(fd)
            digest = hashlib.sha256()
            size = 0
            while block := self.io.read(fd, COPY_BLOCK):
                digest.update(block)
                size += len(block)
                progress(len(block))
            self.io.drop_cache(fd)
        finally:
            os.close(fd)
        return WrittenFile(size, digest.hexdigest())

    def fsync(self) -> None:
        self.io.fsync(self.fd)

    def sweep_temporaries(self, depth: int = 1) -> int:
        """Remove temporaries an interrupted export left here and in sub-folders (links are
        unlinked, never followed); returns how many went."""
        removed = 0
        for name in self.names():
            st = self.lstat(name)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                if depth > 0:
                    with contextlib.suppress(UnsafeStickEntry):
                        sub = self.subdir(name, create=False)
                        if sub is not None:  # else it went since it was listed
                            with sub:
                                removed += sub.sweep_temporaries(depth - 1)
            elif name.endswith(TEMP_SUFFIX):
                os.unlink(name, dir_fd=self.fd)
                removed += 1
        return removed
