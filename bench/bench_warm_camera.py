"""What keeping the camera warm costs: process CPU while idle, cold against warm.

The controller keeps the sources running while a start is likely (a panel page open, or
within `recording.warm_minutes` of boot or of the last session), so a start records an
IDR within 150 ms. This measures what that readiness costs, in the same run: the idle
appliance with its sources stopped (the baseline), then with them running.

In simulation the cost is the synthetic camera drawing and encoding with libx264 on the
CPU; on a Pi the encoder is the hardware one (Pi 4) or libx264 (Pi 5), so run this there
with the real sources for the Pi figure.

    .venv/bin/python bench/bench_warm_camera.py [--seconds 10] [--width 1920 --height 1080]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from appliance.assembly import build_parts
from appliance.config import Config, RecordingConfig


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(seconds: float) -> float:
    before = cpu_seconds()
    time.sleep(seconds)
    return (cpu_seconds() - before) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        recording = RecordingConfig(width=args.width, height=args.height, fps=args.fps)
        config = Config(data_dir=str(Path(work) / "data"), recording=recording)
        parts = build_parts(config, Path(work) / "data", simulate=True, usb_dir=Path(work) / "usb")
        controller = parts.controller
        cold = measure(args.seconds)
        controller.warm_up()
        time.sleep(1.0)
        warm = measure(args.seconds)
        controller.shutdown()
    print(f"idle, sources stopped (baseline): {cold * 100:.1f} % of one core")
    print(
        f"idle, camera and microphone warm ({args.width}x{args.height}@{args.fps}): "
        f"{warm * 100:.1f} % of one core"
    )
    print(
        f"cost of keeping warm: {(warm - cold) * 100:.1f} % of one core "
        f"({(warm - cold) * 3600:.0f} CPU s per hour)"
    )


if __name__ == "__main__":
    main()
