"""A real FAT32 filesystem for tests: an image made by mkfs.vfat, mounted with fusefat."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.tooling import require_tool


def make_fat32(image: Path, size_mib: int = 48) -> None:
    mkfs = require_tool("mkfs.vfat", "dosfstools")
    with open(image, "wb") as fh:
        fh.truncate(size_mib * 1024 * 1024)
    subprocess.run([mkfs, "-F", "32", "-n", "VIGSTICK", str(image)], check=True,
                   capture_output=True)


def _unmount_tool() -> str:
    return shutil.which("fusermount3") or require_tool("fusermount", "fuse")


@contextlib.contextmanager
def mounted_fat(image: Path, mountpoint: Path, *, read_only: bool = False) -> Iterator[Path]:
    """Mount in the foreground, so unmounting can wait until fusefat has written everything
    back to the image (it keeps writing for a moment after `fusermount -u` returns)."""
    fusefat = require_tool("fusefat", "fusefat")
    mountpoint.mkdir(parents=True, exist_ok=True)
    mode = "ro" if read_only else "rw+"
    daemon = subprocess.Popen(
        [fusefat, "-f", "-o", mode, str(image), str(mountpoint)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not os.path.ismount(mountpoint):
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fusefat did not mount {image}")
            time.sleep(0.05)
        try:
            yield mountpoint
        finally:
            subprocess.run([_unmount_tool(), "-u", str(mountpoint)], check=True,
                           capture_output=True)
        daemon.wait(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            daemon.wait(timeout=10)
