"""Benchmark: export (copy + fsync + read back past the page cache + manifest + delete)
against `cp -r` + `sync` of the same files to the same target filesystem, in one run.

A vault is filled with sessions whose parts hold random bytes (the exporter never looks
inside). Before each run the source files' cached pages are dropped, so both read the SD
card side alike. The baseline copies the same session folders with `cp -r` and then runs
`sync`; the exporter then exports them into a fresh folder on the same filesystem.

Prints MB/s for both and the ratio export / baseline (goal ≥ 0.8×).

    .venv/bin/python bench/bench_export.py [--mib 256] [--sessions 2] [--dir DIR] [--fat32]
        [--repeat N]

--fat32 targets a FAT32 image (mkfs.vfat, mounted with fusefat) instead of DIR: both the
baseline and the export write there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.export.exporter import Exporter
from appliance.export.stick import FolderStick
from tests.support.clocks import MinutePerReadClock
from tests.support.vaults import make_enrolled_vault

PART_BYTES = 32 * 1024 * 1024
BLOCK = 1024 * 1024


def fill_vault(data_dir: Path, total_mib: int, sessions: int):
    vault, _ = make_enrolled_vault(data_dir, wall_clock=MinutePerReadClock())
    per_session = total_mib * 1024 * 1024 // sessions
    random_block = os.urandom(BLOCK)
    for _ in range(sessions):
        session = vault.create_session({"case_code": "BENCH"})
        left = per_session
        while left > 0:
            part = session.open_part()
            size = min(PART_BYTES, left)
            for _ in range(size // BLOCK):
                part.write(random_block)
            part.close()
            left -= size
        session.finish("complete", None, duration_s=60.0)
    return vault


def drop_cached(paths: list[Path]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def bench(target_root: Path, data_dir: Path, total_mib: int, sessions: int) -> float:
    vault = fill_vault(data_dir, total_mib, sessions)
    infos = vault.list_sessions()
    files = [i.directory / f.name for i in infos for f in i.files]
    total = sum(f.size for i in infos for f in i.files)

    drop_cached(files)
    baseline_dir = target_root / "cp"
    baseline_dir.mkdir()
    start = time.perf_counter()
    subprocess.run(["cp", "-r", *[str(i.directory) for i in infos], str(baseline_dir)],
                   check=True)
    subprocess.run(["sync"], check=True)
    baseline = time.perf_counter() - start
    shutil.rmtree(baseline_dir)
    subprocess.run(["sync"], check=True)

    drop_cached(files)
    stick = target_root / "stick"
    stick.mkdir()
    start = time.perf_counter()
    result = Exporter(vault, device_name="bench").export(FolderStick(stick))
    exported = time.perf_counter() - start
    assert len(result.exported) == sessions, result.summary()

    mb = total / 1e6
    print(f"data: {sessions} session(s), {mb:.0f} MB in {len(files)} files, target {target_root}")
    print(f"cp -r + sync:                 {baseline:7.2f} s  {mb / baseline:8.1f} MB/s")
    print(f"export (write+fsync+verify):  {exported:7.2f} s  {mb / exported:8.1f} MB/s")
    print(f"ratio export/baseline throughput: {baseline / exported:.2f}x (goal >= 0.8x)")
    shutil.rmtree(stick)
    return baseline / exported


def run(base: Path, args: argparse.Namespace, target: Path) -> None:
    ratios = []
    for round_number in range(args.repeat):
        ratios.append(bench(target, base / f"data{round_number}", args.mib, args.sessions))
        shutil.rmtree(base / f"data{round_number}")
    if len(ratios) > 1:
        print(f"median ratio over {len(ratios)} runs: {statistics.median(ratios):.2f}x "
              f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--dir", help="where the data dir and target go (default: a temp dir)")
    parser.add_argument("--fat32", action="store_true", help="target a fusefat FAT32 image")
    parser.add_argument("--repeat", type=int, default=1, help="runs (the median is printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        if not args.fat32:
            target = base / "target"
            target.mkdir()
            run(base, args, target)
            return
        image = base / "stick.img"
        with open(image, "wb") as fh:
            fh.truncate((2 * args.mib + 64) * 1024 * 1024)
        subprocess.run(["mkfs.vfat", "-F", "32", str(image)], check=True, capture_output=True)
        mount = base / "mnt"
        mount.mkdir()
        subprocess.run(["fusefat", "-o", "rw+", str(image), str(mount)], check=True,
                       capture_output=True)
        try:
            while not os.path.ismount(mount):
                time.sleep(0.05)
            run(base, args, mount)
        finally:
            subprocess.run([shutil.which("fusermount3") or "fusermount", "-u", str(mount)],
                           check=True)


if __name__ == "__main__":
    main()
