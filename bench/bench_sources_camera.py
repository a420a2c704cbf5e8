"""How fast the synthetic camera draws and encodes, against a flat-grey baseline.

The simulated appliance must capture 1080p30 in real time on a two-core machine, while
the recorder, vault and panel share the same cores. Figures printed:
  - frames/s drawing + encoding the synthetic scene on a virtual clock (no waiting),
  - frames/s encoding a flat grey picture with the same encoder (the baseline: encoder
    cost with nothing to draw and nothing to code), and their ratio,
  - on the real clock: frames delivered and dropped, and CPU seconds per second (cores
    busy) while keeping pace.

Run: .venv/bin/python bench/bench_sources_camera.py [--width 1920 --height 1080 --fps 30]
"""

from __future__ import annotations

import argparse
import resource
import time

import av
import numpy as np

from appliance.sources import MonotonicClock, SyntheticCamera, VirtualClock
from appliance.sources.encoder import H264Encoder


def synthetic_rate(width: int, height: int, fps: int, bitrate: int, seconds: float) -> float:
    clock = VirtualClock()
    camera = SyntheticCamera(clock, width, height, fps, bitrate)
    count = 0

    def sink(frame) -> None:
        nonlocal count
        count += 1

    camera.start(sink)
    began = time.perf_counter()
    clock.advance(seconds)
    camera.stop()
    return count / (time.perf_counter() - began)


def flat_grey_rate(width: int, height: int, fps: int, bitrate: int, frames: int) -> float:
    encoder = H264Encoder(width, height, fps, bitrate)
    picture = np.full((height * 3 // 2, width), 128, np.uint8)
    began = time.perf_counter()
    for n in range(frames):
        encoder.encode(av.VideoFrame.from_ndarray(picture, format="yuv420p"), n)
    encoder.flush()
    return frames / (time.perf_counter() - began)


def real_time_load(width: int, height: int, fps: int, bitrate: int, seconds: float):
    clock = MonotonicClock()
    camera = SyntheticCamera(clock, width, height, fps, bitrate)
    sizes = []
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    began = time.perf_counter()
    camera.start(lambda frame: sizes.append(len(frame.data)))
    time.sleep(seconds)
    dropped = camera.frames_dropped
    camera.stop()
    wall = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cores = (usage.ru_utime + usage.ru_stime - cpu_before) / wall
    return len(sizes), dropped, cores, sum(sizes) * 8 / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--bitrate", type=int, default=6_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    size = (args.width, args.height, args.fps, args.bitrate)

    synthetic = synthetic_rate(*size, args.seconds)
    baseline = flat_grey_rate(*size, round(args.seconds * args.fps))
    print(f"{args.width}x{args.height}@{args.fps}, {args.bitrate / 1e6:g} Mbit/s")
    print(f"synthetic scene, draw + encode: {synthetic:7.1f} frames/s")
    print(f"flat grey, encode only:         {baseline:7.1f} frames/s (baseline)")
    print(f"ratio synthetic / baseline:     {synthetic / baseline:7.2f}")
    print(f"headroom over real time:        {synthetic / args.fps:7.2f}x")
    delivered, dropped, cores, bits = real_time_load(*size, args.seconds)
    print(
        f"real clock, {args.seconds:g} s: {delivered} frames delivered, {dropped} dropped, "
        f"{cores:.2f} cores busy, {bits / 1e6:.2f} Mbit/s"
    )


if __name__ == "__main__":
    main()
