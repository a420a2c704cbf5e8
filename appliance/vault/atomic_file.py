"""Replace a small file so that a power cut leaves either the old or the new version.

The recipe: write a temporary file in the same directory, fsync it, rename it over the
target, fsync the directory. A reader never sees half a file, and after the last step the
new version survives a power cut. Leftover temporaries (a cut before the rename) carry the
`TEMP_SUFFIX` and are cleaned up by whoever owns the directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .errors import storage_errors
from .filesystem import FileSystem, WritableFile

TEMP_SUFFIX = ".tmp"
#: Secrets (a key file, the panel's cookie key) are readable by their owner only.
PRIVATE_FILE_MODE = 0o600


def temp_path_for(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMP_SUFFIX}")


def is_temp_file(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def replace_atomically(fs: FileSystem, path: Path, data: bytes) -> None:
    """Make `data` the durable content of `path`, all or nothing."""
    replace_atomically_with(fs, path, lambda file: file.write(data))


def replace_atomically_with(
    fs: FileSystem, path: Path, write: Callable[[WritableFile], object]
) -> None:
    """Make what `write` puts into a fresh file the durable content of `path`, all or nothing.

    The whole recipe lives here, the directory fsync included, so that no replace depends on
    whatever write happens to follow it: a renamed file whose directory was not fsynced comes
    back after a power cut as the old file plus the leftover temp file.
    """
    temp = temp_path_for(path)
    with storage_errors(path.name):
        if temp.exists():
            fs.unlink(temp)
        with fs.open_new(temp) as file:
            write(file)
            fs.fsync(file)
        fs.replace(temp, path)
        fs.fsync_dir(path.parent)


def replace_private_file(fs: FileSystem, path: Path, data: bytes) -> None:
    """`replace_atomically`, for a secret: the file is its owner's only (0600) before any
    byte of the secret is in it, whatever the umask."""

    def write(file: WritableFile) -> None:
        os.fchmod(file.fileno(), PRIVATE_FILE_MODE)
        file.write(data)

    replace_atomically_with(fs, path, write)
