"""Benchmark: panel command latency under load, and the CPU cost of serving the preview.

The whole simulated appliance records (default 1080p30, real time, synthetic sources);
the panel is served by waitress as `vig-appliance run` serves it. Over real HTTP, Mark
and Start are timed from request to response:

- baseline: recording, nobody watching;
- loaded:   recording, two preview viewers (MJPEG) and two status streams (SSE) open.

Prints p50/p99 for both and the ratio loaded/baseline (goal: loaded p99 ≤ 50 ms), what
HTTP adds to calling `controller.mark()` directly in the same recording, then
the process CPU while recording with and without the two previews, i.e. what serving
the preview costs (JPEG made by the camera at ≤ 640 px, ≤ 10 fps per viewer).

    .venv/bin/python bench/bench_panel.py [--marks 100] [--starts 8] [--cpu-seconds 10]
                                          [--width 1920 --height 1080 --fps 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.assembly import build_parts
from appliance.config import Config, PanelConfig, RecordingConfig, StorageConfig
from appliance.panel.app import create_app
from appliance.panel.pin_store import PinStore, panel_files
from appliance.panel.server import serve_panel
from appliance.vault.age import X25519Identity

PIN = "24681357"
MIB = 1024**2


class Panel:
    """An HTTP client logged in to the panel: a cookie and the CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        connection = self.connect()
        connection.request("GET", "/login")
        response = connection.getresponse()
        cookie = response.getheader("Set-Cookie").split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())[1]
        body = f"pin={PIN}&csrf_token={token}"
        connection.request(
            "POST", "/login", body=body,
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        response = connection.getresponse()
        response.read()
        self.cookie = response.getheader("Set-Cookie").split(";")[0]
        connection.request("GET", "/", headers={"Cookie": self.cookie})
        page = connection.getresponse().read().decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
        self.connection = connection

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def post(self, path: str, body: dict) -> tuple[float, int, dict]:
        headers = {
            "Cookie": self.cookie,
            "X-CSRF-Token": self.csrf,
            "Content-Type": "application/json",
        }
        started = time.perf_counter()
        self.connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return time.perf_counter() - started, response.status, json.loads(data)


class StreamReader:
    """Keeps one long response (preview or status stream) open and drains it."""

    def __init__(self, panel: Panel, path: str, stop: threading.Event) -> None:
        self.bytes = 0
        connection = panel.connect()
        connection.request("GET", path, headers={"Cookie": panel.cookie})
        self.response = connection.getresponse()
        if self.response.status != 200:
            raise RuntimeError(f"{path}: HTTP {self.response.status}")
        self.thread = threading.Thread(target=self._drain, args=(stop,), daemon=True)
        self.thread.start()

    def _drain(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                chunk = self.response.read1(65536)
                if not chunk:
                    return
                self.bytes += len(chunk)
        except (OSError, ValueError, AttributeError):
            return  # closed under us at the end of the phase


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def describe(name: str, seconds: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
    print(f"  {name:<22} n={len(seconds):4d}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
          f"  max {max(seconds) * 1000:7.2f} ms")  # fmt: skip
    return p50, p99


def time_marks(panel: Panel, count: int, interval: float) -> list[float]:
    latencies = []
    for _ in range(count):
        elapsed, status, body = panel.post("/api/mark", {"tag": "guiding"})
        if status != 200:
            raise RuntimeError(f"mark refused: {body}")
        latencies.append(elapsed)
        time.sleep(interval)
    return latencies


def time_direct_marks(controller, count: int) -> list[float]:
    """The same command without HTTP, to show what the panel itself adds."""
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        controller.mark(tag="guiding")
        latencies.append(time.perf_counter() - started)
        time.sleep(0.05)
    return latencies


def time_starts(panel: Panel, controller, count: int, record_seconds: float) -> list[float]:
    latencies = []
    for _ in range(count):
        controller.wait_idle(120)
        elapsed, status, body = panel.post("/api/start", {"case_code": "BENCH-1"})
        if status != 200:
            raise RuntimeError(f"start refused: {body}")
        latencies.append(elapsed)
        time.sleep(record_seconds)
        panel.post("/api/stop", {})
    controller.wait_idle(120)
    return latencies


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_cpu(seconds: float) -> float:
    """Process CPU use over `seconds` of wall time, in cores (1.0 = one core busy)."""
    before, started = cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds() - before) / (time.monotonic() - started)


def run_phase(name, panel, controller, args, streams) -> dict[str, tuple[float, float]]:
    print(f"{name}: {streams}")
    result = {"start": describe("start", time_starts(panel, controller, args.starts, 1.5))}
    panel.post("/api/start", {})
    time.sleep(1.0)
    result["mark"] = describe("mark (while recording)", time_marks(panel, args.marks, 0.05))
    direct = time_direct_marks(controller, args.marks)
    result["direct"] = describe("controller.mark() alone", direct)
    panel.post("/api/stop", {})
    controller.wait_idle(120)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--marks", type=int, default=100)
    parser.add_argument("--starts", type=int, default=8)
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--bitrate", type=int, default=6_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-panel-") as tmp:
        data_dir = Path(tmp) / "data"
        config = Config(
            data_dir=str(data_dir),
            recording=RecordingConfig(
                width=args.width, height=args.height, fps=args.fps, bitrate=args.bitrate
            ),
            storage=StorageConfig(reserve_bytes=256 * MIB, start_headroom_minutes=1.0),
            panel=PanelConfig(),
        )
        parts = build_parts(config, data_dir, simulate=True, usb_dir=Path(tmp) / "usb")
        parts.vault.add_recipient(str(X25519Identity.generate().recipient), comment="bench")
        controller = parts.controller
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(1.0):
                controller.poll()

        threading.Thread(target=poll, daemon=True).start()
        pin_path, secret_path = panel_files(data_dir)
        store = PinStore(pin_path)
        store.set(PIN)
        app = create_app(config, controller, pin_store=store, secret_path=secret_path,
                         stop_event=stop)  # fmt: skip
        server = serve_panel(app, "127.0.0.1", 0, stop, threads=config.panel.threads)
        controller.warm_up()
        time.sleep(2.0)
        panel = Panel(server.port)
        cpus = len(os.sched_getaffinity(0))
        print(f"recording {args.width}x{args.height}@{args.fps}, panel threads "
              f"{config.panel.threads}, {cpus} CPUs")  # fmt: skip

        try:
            baseline = run_phase("baseline", panel, controller, args, "no viewers")
            viewers_stop = threading.Event()
            readers = [StreamReader(panel, "/api/preview.mjpeg", viewers_stop) for _ in range(2)]
            readers += [StreamReader(panel, "/api/events", viewers_stop) for _ in range(2)]
            time.sleep(1.0)
            loaded = run_phase(
                "loaded", panel, controller, args, "2 preview viewers + 2 status streams"
            )

            panel.post("/api/start", {})
            time.sleep(1.0)
            sent_before = sum(r.bytes for r in readers[:2])
            with_preview = measure_cpu(args.cpu_seconds)
            preview_bytes = sum(r.bytes for r in readers[:2]) - sent_before
            viewers_stop.set()
            for reader in readers:
                reader.response.close()
            time.sleep(1.0)
            without_preview = measure_cpu(args.cpu_seconds)
            panel.post("/api/stop", {})
            controller.wait_idle(120)
        finally:
            stop.set()
            controller.shutdown()
            server.join(10)

    for name, phase in (("baseline", baseline), ("loaded", loaded)):
        overhead = phase["mark"][0] - phase["direct"][0]
        print(f"{name}: the panel adds {overhead:.2f} ms (p50) to controller.mark()")
    print("ratio loaded / baseline (p99):")
    for command in ("start", "mark"):
        ratio = loaded[command][1] / baseline[command][1]
        goal = "ok" if loaded[command][1] <= 50 else "OVER the 50 ms goal"
        print(f"  {command:<6} {ratio:5.2f}x  (loaded p99 {loaded[command][1]:.2f} ms: {goal})")
    rate = preview_bytes / args.cpu_seconds / 1024
    print(f"CPU while recording: {without_preview:.2f} cores without previews, "
          f"{with_preview:.2f} with two previews (+{with_preview - without_preview:.2f} cores, "
          f"{rate:.0f} KiB/s of JPEG sent)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
