"""Benchmark: the memory an export takes when the stick already holds a huge README.txt.

A stick can carry a file of any size where the exporter expects its own small files. The
export is run with a sparse README.txt of --size MiB on the stick, measuring the peak of
Python's traced memory (tracemalloc). Baseline, like for like: the same export to a stick
whose README.txt is ours already (nothing to compare beyond a few KiB). Prints both peaks
and the ratio huge/baseline; before the bounded reads the huge case peaked at the file's size.

    .venv/bin/python bench/bench_stick_supplied.py [--size 1536]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.export.exporter import Exporter, readme_text
from appliance.export.manifest import EXPORT_DIR_NAME, README_NAME
from appliance.export.stick import FolderStick
from tests.support.clocks import MinutePerReadClock
from tests.support.sessions import make_session
from tests.support.vaults import make_enrolled_vault


def peak_of_export(readme_bytes: int | None) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        vault, _ = make_enrolled_vault(base / "data", wall_clock=MinutePerReadClock())
        make_session(vault)
        readme = base / "STICK" / EXPORT_DIR_NAME / README_NAME
        readme.parent.mkdir(parents=True)
        if readme_bytes is None:
            readme.write_bytes(readme_text())
        else:
            with open(readme, "wb") as fh:
                fh.truncate(readme_bytes)
        tracemalloc.start()
        try:
            result = Exporter(vault, device_name="vig").export(FolderStick(base / "STICK"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return peak / 2**20, result.notes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1536, help="README.txt size in MiB")
    args = parser.parse_args()
    baseline, _ = peak_of_export(None)
    huge, notes = peak_of_export(args.size * 2**20)
    print(f"peak traced memory, README.txt ours:        {baseline:6.1f} MiB")
    print(f"peak traced memory, README.txt {args.size} MiB: {huge:6.1f} MiB")
    print(f"ratio huge/baseline: {huge / baseline:.2f}")
    print("notes:", *notes, sep="\n  ")


if __name__ == "__main__":
    main()
