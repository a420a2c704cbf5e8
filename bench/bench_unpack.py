"""Benchmark: vig-unpack of one exported session against `age -d | ffmpeg -c copy`.

The session (default: two 30 s parts of 640x360 30 fps H.264 at 6 Mbit/s + AAC, three
10 s clips) is recorded into a vault through the real Vault API and exported to a folder
stick. Then, in the same run:

- baseline: for every part and clip, `age -d -i KEY FILE | ffmpeg -f mp4 -i pipe: -c copy
  OUT.mp4` (the reference tools, one file at a time, no joining, no checks);
- vig-unpack: manifest check, decryption, one joined faststart MP4, one MP4 per clip,
  pictures, contact sheet, marks.csv and index.html.

Prints the wall time and MB/s of ciphertext for both, and the ratio baseline / vig-unpack
(goal ≥ 1.0×: vig-unpack at least as fast as the reference pipeline).

    .venv/bin/python bench/bench_unpack.py [--part-seconds 30] [--parts 2] [--dir DIR]
        [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME
from appliance.export.stick import FolderStick
from appliance.unpack.cli import main as unpack_main
from tests.support.clocks import MinutePerReadClock
from tests.support.sessions import make_fmp4, write_part
from tests.support.vaults import make_enrolled_vault

SIZE, FPS, BITRATE = (640, 360), 30, 6_000_000


def record_session(data_dir: Path, parts: int, part_seconds: float, clips: int):
    vault, identity = make_enrolled_vault(data_dir, wall_clock=MinutePerReadClock())
    session = vault.create_session({"case_code": "BENCH", "wall_clock_start": 1.7e9})
    for number in range(1, clips + 1):
        session.write_mark(number, {"number": number, "media_time": 5.0 + 10 * number,
                                    "tag": "guiding", "note": None})
        write_part(session.open_clip(number),
                   make_fmp4(10.0, shade=number, size=SIZE, fps=FPS, bitrate=BITRATE,
                             noise=True), sync_every=1)
    for index in range(parts):
        write_part(session.open_part(),
                   make_fmp4(part_seconds, shade=100 + index, size=SIZE, fps=FPS,
                             bitrate=BITRATE, noise=True), sync_every=1)
    session.finish("complete", None, duration_s=parts * part_seconds)
    return vault, identity, session.id


def baseline(folder: Path, key: Path, out: Path) -> float:
    out.mkdir()
    start = time.perf_counter()
    for path in sorted(folder.glob("*.mp4.age")):
        age = subprocess.Popen(["age", "-d", "-i", str(key), str(path)], stdout=subprocess.PIPE)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "mp4", "-i", "pipe:0", "-c", "copy",
                        str(out / path.name.removesuffix(".age"))], stdin=age.stdout, check=True)
        age.stdout.close()
        if age.wait() != 0:
            raise RuntimeError(f"age -d failed on {path}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part-seconds", type=float, default=30.0)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--dir", help="where to work (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs (medians)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        base = Path(tmp)
        print("recording the session (encoding noise, takes a moment) ...", flush=True)
        vault, identity, session_id = record_session(base / "data", args.parts,
                                                     args.part_seconds, args.clips)
        key = base / "key.txt"
        key.write_text(f"{identity}\n")
        stick = base / "stick"
        stick.mkdir()
        Exporter(vault, device_name="bench").export(FolderStick(stick))
        folder = stick / EXPORT_DIR_NAME / session_id
        total = sum(p.stat().st_size for p in folder.iterdir())

        references, ours_runs = [], []
        for _ in range(args.repeat):
            references.append(baseline(folder, key, base / "baseline"))
            shutil.rmtree(base / "baseline")
            shutil.rmtree(base / "out", ignore_errors=True)
            start = time.perf_counter()
            log = io.StringIO()
            code = unpack_main([str(folder), "-i", str(key), "--out", str(base / "out")],
                               stream=log)
            ours_runs.append(time.perf_counter() - start)
            if code != 0:
                raise SystemExit(f"vig-unpack failed ({code}):\n{log.getvalue()}")
        reference, ours = statistics.median(references), statistics.median(ours_runs)
        video = next((base / "out" / session_id).glob("session_*.mp4"))
        with av.open(str(video)) as container:
            played = container.duration / av.time_base
        clips = len(list((base / "out" / session_id / "clips").glob("*.mp4")))

    mb = total / 1e6
    print(f"session: {args.parts} x {args.part_seconds:.0f} s parts + {args.clips} clips, "
          f"{mb:.1f} MB of ciphertext")
    if args.repeat > 1:
        print(f"(medians of {args.repeat} alternating runs; ratios per run: "
              + ", ".join(f"{r / o:.2f}x" for r, o in zip(references, ours_runs, strict=True))
              + ")")
    print(f"age -d | ffmpeg -c copy:  {reference:6.2f} s  {mb / reference:7.1f} MB/s")
    print(f"vig-unpack (all outputs): {ours:6.2f} s  {mb / ours:7.1f} MB/s")
    print(f"check: joined session plays {played:.2f} s, {clips} clip MP4s written")
    print(f"ratio baseline/vig-unpack: {reference / ours:.2f}x (goal >= 1.0x)")


if __name__ == "__main__":
    main()
