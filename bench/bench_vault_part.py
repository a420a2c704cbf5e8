"""Benchmark: writing a session part through the vault against its two baselines, in one run.

- vault: `PartWriter` (age encryption, sha256 of the ciphertext as written, state.json
  bookkeeping) with a durable sync once per simulated second, as the recorder does;
- age only: `AgeWriter` straight to a file, one fsync at the end (the encryption cost);
- plain: the same bytes written unencrypted, fsynced once per simulated second (the disk).

The simulated stream is the configured bitrate + audio, so "realtime" says how many times
faster than the recording the vault keeps up on this machine (the Pi needs ≥ 1, with room).

    .venv/bin/python bench/bench_vault_part.py [--mib 128] [--mbit 6.128] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.config import RecordingConfig, StorageConfig
from appliance.vault import Vault
from appliance.vault.age import CHUNK_SIZE, AgeWriter, X25519Identity


def _seconds_of(total: int, per_second: int) -> list[int]:
    sizes = [per_second] * (total // per_second)
    return sizes + ([total % per_second] if total % per_second else [])


def run_vault(root: Path, data: bytes, per_second: int) -> float:
    vault = Vault(root / "data", StorageConfig(reserve_bytes=0, start_headroom_minutes=0),
                  RecordingConfig())
    vault.add_recipient(str(X25519Identity.generate().recipient))
    session = vault.create_session({})
    start = time.perf_counter()
    part = session.open_part()
    offset = 0
    for size in _seconds_of(len(data), per_second):
        part.write(memoryview(data)[offset : offset + size])
        offset += size
        gap = -part.pending % CHUNK_SIZE
        part.sync(b"\0" * (gap + CHUNK_SIZE if 0 < gap < 8 else gap))
    part.close(b"\0\0\0\x08free")
    elapsed = time.perf_counter() - start
    session.finish("complete")
    return elapsed


def run_age_only(root: Path, data: bytes) -> float:
    recipient = X25519Identity.generate().recipient
    start = time.perf_counter()
    with open(root / "age-only.age", "wb") as sink:
        writer = AgeWriter(sink, [recipient])
        writer.write(data)
        writer.close()
    return time.perf_counter() - start


def run_plain(root: Path, data: bytes, per_second: int) -> float:
    start = time.perf_counter()
    with open(root / "plain.bin", "wb") as sink:
        offset = 0
        for size in _seconds_of(len(data), per_second):
            sink.write(memoryview(data)[offset : offset + size])
            offset += size
            sink.flush()
            os.fsync(sink.fileno())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128, help="size of the part")
    parser.add_argument("--mbit", type=float, default=6.128, help="video + audio Mbit/s")
    parser.add_argument("--dir", help="where to write (default: a temporary folder)")
    args = parser.parse_args()
    data = os.urandom(args.mib * 1024 * 1024)
    per_second = int(args.mbit * 1_000_000 / 8)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        plain = run_plain(root, data, per_second)
        age_only = run_age_only(root, data)
        vault = run_vault(root, data, per_second)
    mb = len(data) / 1e6
    recorded_seconds = len(data) / per_second
    print(f"part of {args.mib} MiB, {args.mbit} Mbit/s ({recorded_seconds:.0f} s of recording), "
          f"{len(_seconds_of(len(data), per_second))} syncs")
    for name, seconds in (("plain + fsync/s", plain), ("age only", age_only), ("vault", vault)):
        print(f"  {name:16s} {mb / seconds:8.1f} MB/s  {recorded_seconds / seconds:8.1f}x realtime")
    print(f"ratio vault / age only: {age_only / vault:.2f} (1.0 = no cost beyond encryption)")
    print(f"ratio vault / plain + fsync/s: {plain / vault:.2f}")


if __name__ == "__main__":
    main()
