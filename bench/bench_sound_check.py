"""Benchmark: the sound check's cost per microphone block against plain RMS, in one run.

`SoundCheck.feed` runs in the microphone's real-time callback on every block (20 ms of
48 kHz mono, float32, as the adapters deliver), so its cost is what the callback gains.
Three ways over the same blocks, interleaved round by round so a busy machine weighs on
all alike:

- sound check: `SoundCheck.feed` (peak, constancy, RMS, the warning state, one reading);
- level: `level_dbfs`, what the callback computed per block before (RMS in float64);
- plain RMS: `np.sqrt(np.mean(np.square(block)))`, numpy's plainest RMS of the block.

Figures are microseconds per block (the median of the rounds) and the share of one core
that the check takes at 50 blocks a second.

    .venv/bin/python bench/bench_sound_check.py [--blocks 3000] [--rounds 7] [--frames 960]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.sources.level import level_dbfs
from appliance.sources.sound_check import SoundCheck

RATE = 48_000


def make_blocks(count: int, frames: int) -> list[np.ndarray]:
    """Room noise with speech and a few clipped peaks: every branch of the check runs."""
    rng = np.random.default_rng(1)
    t = np.arange(count * frames) / RATE
    sound = rng.normal(0.0, 0.001, t.size) + 0.2 * np.sin(2 * np.pi * 150 * t) * (t % 8 < 3)
    sound[:: RATE * 2] = 1.0
    return [block.astype(np.float32).reshape(-1, 1) for block in np.split(sound, count)]


def per_block_us(blocks: list[np.ndarray], work: Callable[[np.ndarray], object]) -> float:
    start = time.perf_counter()
    for block in blocks:
        work(block)
    return (time.perf_counter() - start) / len(blocks) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=3000, help="blocks per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--frames", type=int, default=960, help="frames per block")
    args = parser.parse_args()
    blocks = make_blocks(args.blocks, args.frames)
    check = SoundCheck()
    ways: dict[str, Callable[[np.ndarray], object]] = {
        "sound check": lambda block: check.feed(block, RATE),
        "level (before)": level_dbfs,
        "plain RMS": lambda block: np.sqrt(np.mean(np.square(block))),
    }
    for work in ways.values():  # warm up numpy's paths
        per_block_us(blocks[:200], work)
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, work in ways.items():
            times[name].append(per_block_us(blocks, work))
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    block_ms = args.frames / RATE * 1000
    print(f"{args.blocks} blocks of {args.frames} frames ({block_ms:.0f} ms), {args.rounds} rounds")
    for name, us in medians.items():
        share = us / (block_ms * 1000) * 100
        print(f"  {name:15s} {us:7.2f} us/block  ({share:.3f} % of a core in real time)")
    check_us = medians["sound check"]
    print(f"  ratio sound check / plain RMS:      {check_us / medians['plain RMS']:.2f}")
    print(f"  ratio sound check / level (before): {check_us / medians['level (before)']:.2f}")


if __name__ == "__main__":
    main()
