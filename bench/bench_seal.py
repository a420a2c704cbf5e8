"""How fast AgeWriter seals, against the reference `age` command, in one run.

Figures printed:
  - MB/s encrypting the same file (default 512 MiB) to the same filesystem with the
    reference `age -r` and with AgeWriter, both made durable with one fsync at the end
    (age itself never fsyncs, so the bench fsyncs its output), and their ratio;
  - the same without the final fsync (page cache only), and into /dev/null (sealing
    alone, no storage: the figure least disturbed by the disk);
  - CPU seconds spent sealing per hour of a 6 Mbit/s recording, measured the way the
    recorder writes (one second of data, then sync(filler) to the chunk boundary) into a
    sink that discards, and scaled to an hour;
  - peak RSS of this process (AgeWriter) and of the `age` children.

Run: .venv/bin/python bench/bench_seal.py [--size-mib 512] [--dir DIR] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from appliance.vault.age import AgeWriter, X25519Identity

BLOCK = 1 << 20
MODES = ("durable", "cached", "null")
RECORDING_BITRATE = 6_000_000  # bit/s, the appliance's default video + audio budget


def make_input(path: Path, size_mib: int) -> None:
    block = os.urandom(BLOCK)
    with open(path, "wb") as handle:
        for i in range(size_mib):
            handle.write(block[i % 251 :] + block[: i % 251])  # no two blocks alike


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Run:
    """Wall time, CPU time and peak RSS of one encryption."""

    def __init__(self, wall: float, cpu: float, peak_rss: int) -> None:
        self.wall, self.cpu, self.peak_rss = wall, cpu, peak_rss


def peak_rss_of(pid: int) -> int:
    """VmHWM of a running process in bytes (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        return 0
    return 0


def run_age(age: str, recipient: str, source: Path, target: Path | str, durable: bool) -> Run:
    """The child's own maxrss is blurred by the fork, so its VmHWM is sampled instead."""
    began = time.perf_counter()
    child = subprocess.Popen([age, "-r", recipient, "-o", str(target), str(source)])
    peak = 0
    while True:
        peak = max(peak, peak_rss_of(child.pid))
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.005)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"age failed with status {child.returncode}")
    if durable:
        fsync_path(target)
    return Run(time.perf_counter() - began, usage.ru_utime + usage.ru_stime, peak)


def run_writer(recipient, source: Path, target: Path | str, durable: bool) -> Run:
    began = time.perf_counter()
    cpu = time.process_time()
    with open(source, "rb") as src, open(target, "wb") as sink:
        on_sync = None if durable else (lambda: None)
        writer = AgeWriter(sink, [recipient], on_sync=on_sync)
        while block := src.read(BLOCK):
            writer.write(block)
        writer.close()
    return Run(
        time.perf_counter() - began,
        time.process_time() - cpu,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )


def sealing_cpu_per_hour(recipient, seconds_of_recording: int) -> tuple[float, float]:
    """(CPU s per hour of recording, CPU s measured) sealing at the recorder's pace."""
    per_second = RECORDING_BITRATE // 8
    second = os.urandom(per_second)
    with open(os.devnull, "wb") as sink:
        writer = AgeWriter(sink, [recipient], on_sync=lambda: None)
        began = time.process_time()
        for _ in range(seconds_of_recording):
            writer.write(second)
            writer.sync(b"\0" * (-writer.pending % writer.CHUNK_SIZE))
        writer.close(b"\0\0\0\x08free")
        spent = time.process_time() - began
    return spent / seconds_of_recording * 3600, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--dir", default=".", help="where the files go (one filesystem)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--recording-seconds", type=int, default=600)
    args = parser.parse_args()

    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    age = shutil.which("age")
    if age is None:
        raise SystemExit("the reference `age` command is missing: apt-get install age")
    recipient = X25519Identity.generate().recipient
    size = args.size_mib * BLOCK
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-seal-") as folder:
        work = Path(folder)
        source = work / "plain.bin"
        make_input(source, args.size_mib)
        fsync_path(source)
        results: dict[str, list[Run]] = {}
        for _ in range(args.repeat):
            for tag in MODES:
                durable = tag == "durable"
                for name, run in (
                    ("age", lambda t, d=durable: run_age(age, str(recipient), source, t, d)),
                    ("writer", lambda t, d=durable: run_writer(recipient, source, t, d)),
                ):
                    target = os.devnull if tag == "null" else work / f"{name}.age"
                    results.setdefault(f"{name}-{tag}", []).append(run(target))
                    if tag != "null":
                        Path(target).unlink()
                    os.sync()  # the next run starts without this one's dirty pages
    print(f"input: {args.size_mib} MiB in {Path(args.dir).resolve()}, best of {args.repeat}")
    for tag in MODES:
        age_best = min(results[f"age-{tag}"], key=lambda r: r.wall)
        ours_best = min(results[f"writer-{tag}"], key=lambda r: r.wall)
        age_rate, ours = size / age_best.wall / 1e6, size / ours_best.wall / 1e6
        print(
            f"{tag:8s} age: {age_rate:7.1f} MB/s ({age_best.cpu:.2f} CPU s)   "
            f"AgeWriter: {ours:7.1f} MB/s ({ours_best.cpu:.2f} CPU s)   "
            f"ratio AgeWriter/age: {ours / age_rate:.2f}x"
        )
    per_hour, spent = sealing_cpu_per_hour(recipient, args.recording_seconds)
    print(
        f"sealing CPU at {RECORDING_BITRATE / 1e6:g} Mbit/s with a sync each second: "
        f"{per_hour:.2f} CPU s per hour of recording "
        f"(measured {spent:.3f} s for {args.recording_seconds} s of recording)"
    )
    ours_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    age_runs = [run for key, runs in results.items() if key.startswith("age") for run in runs]
    age_rss = max(run.peak_rss for run in age_runs) / 2**20
    print(
        f"peak RSS: this process (AgeWriter) {ours_rss:.1f} MiB "
        f"(of which {baseline_rss:.1f} MiB before any work: interpreter and libraries), "
        f"age {age_rss:.1f} MiB"
    )


if __name__ == "__main__":
    main()
