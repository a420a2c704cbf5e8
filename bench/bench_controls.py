"""Benchmark: how fast the button's mark is taken and the red LED acknowledges it.

The real controller records with simulated sources; the button and LEDs run on gpiozero's
mock pins exactly as in `vig-appliance run --simulate`. For each press:

- release -> mark: from letting go of the button (the moment a press becomes a mark)
  to `controller.mark()` having returned;
- release -> LED: from letting go to the red LED's first change (the double blink),
  read from the mock pin's own state history. DESIGN.md asks for ≤ 100 ms.

Baseline: a light recording (320x240@10); then the same while recording 1080p30.
Prints p50/p99 of both and the ratio loaded/baseline.

    .venv/bin/python bench/bench_controls.py [--presses 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.config import GpioConfig
from appliance.controls.button import ButtonControl
from appliance.controls.leds import LedDriver, StatusLights
from appliance.controls.pins import mock_pin_factory
from tests.support.real_appliance import start_real_appliance

GPIO = GpioConfig(stop_hold_seconds=3.0, shutdown_hold_seconds=5.0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(tmp: Path, presses: int, width: int, height: int, fps: int, bitrate: int):
    appliance = start_real_appliance(tmp, gpio=GPIO, width=width, height=height, fps=fps,
                                     bitrate=bitrate)  # fmt: skip
    controller = appliance.controller
    factory = mock_pin_factory()
    stop = threading.Event()
    lights = StatusLights(GPIO, factory)
    driver = LedDriver(controller.events, lights, clock=appliance.parts.clock).start(stop)
    button = ButtonControl(controller, GPIO, factory, clock=appliance.parts.clock,
                           shutdown=lambda: None)  # fmt: skip
    to_mark, to_led = [], []
    try:
        controller.start()
        time.sleep(2.0)
        red = lights.red.pin
        for _ in range(presses):
            button.pin.drive_low()
            time.sleep(0.03)
            red.clear_states()
            released = time.perf_counter()
            button.pin.drive_high()  # the mock pin runs the callbacks: mark() returns here
            to_mark.append(time.perf_counter() - released)
            deadline = time.monotonic() + 2.0
            while len(red.states) < 2 and time.monotonic() < deadline:
                time.sleep(0.001)
            to_led.append(red.states[1].timestamp if len(red.states) > 1 else float("inf"))
            time.sleep(0.5)  # let the double blink finish
        controller.stop()
        controller.wait_idle(120)
    finally:
        stop.set()
        driver.join(5)
        button.close()
        lights.close()
        appliance.close()
    return to_mark, to_led


def report(name: str, values: list[float]) -> float:
    p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
    print(f"  {name:<16} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {max(values) * 1000:7.2f} ms")
    return p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    results = {}
    for name, size in (("baseline 320x240@10", (320, 240, 10, 300_000)),
                       ("loaded 1920x1080@30", (1920, 1080, 30, 6_000_000))):  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="bench-controls-") as tmp:
            to_mark, to_led = measure(Path(tmp), args.presses, *size)
        print(f"{name} ({args.presses} presses):")
        results[name] = (report("release -> mark", to_mark), report("release -> LED", to_led))
    (base_mark, base_led), (load_mark, load_led) = results.values()
    print(f"ratio loaded / baseline (p99): mark {load_mark / base_mark:.2f}x, "
          f"LED {load_led / base_led:.2f}x; LED p99 {load_led:.1f} ms "
          f"({'ok' if load_led <= 100 else 'OVER'} the 100 ms goal)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
