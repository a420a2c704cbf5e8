"""Benchmark: the offline viewer in Debian's Chromium, opened from file://.

In one run:
- time from choosing the key file to the first frame of a session (open the export, list
  the sessions, watch the first one), on a recorded three-part session;
- seek latency: from setting the video's time to a random point until it can play there
  (`canplay` after `seeked`), over `--seeks` targets;
- decryption throughput in the page, the viewer's chunk-by-chunk reader against typage's
  own streaming decrypt of the same file in the same page (goal ≥ 0.9×), on a part of
  `--mib` MiB built by looping a noisy clip.

    .venv/bin/python bench/bench_viewer.py [--seeks 20] [--mib 256]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.viewer import viewer_bytes
from tests.viewer.big_session import export_big_session
from tests.viewer.conftest import make_export
from tests.viewer.viewer_page import viewer_page

SEEK = """(t) => new Promise((resolve) => {
  const v = document.getElementById('video');
  const start = performance.now();
  const ready = () => {
    v.removeEventListener('canplay', ready);
    resolve(performance.now() - start);
  };
  v.addEventListener('seeked', () => {
    if (v.readyState >= 3) ready(); else v.addEventListener('canplay', ready);
  }, { once: true });
  v.currentTime = t;
})"""


def first_frame(export) -> tuple[float, float]:
    with viewer_page() as viewer:
        viewer.page.goto(export.viewer.as_uri())
        viewer.page.set_input_files("#folder-input", str(export.root))
        start = time.perf_counter()
        viewer.page.set_input_files("#key-input", str(export.keys["x25519"]))
        viewer.page.click("#open-button")
        viewer.wait_for_list()
        listed = time.perf_counter() - start
        viewer.watch_first()
        return listed, time.perf_counter() - start


def seek_latencies(export, seeks: int) -> list[float]:
    rng = random.Random(1)
    with viewer_page() as viewer:
        viewer.open(export.viewer, export.root, export.keys["x25519"])
        viewer.wait_for_list()
        viewer.watch_first()
        duration = viewer.page.evaluate("() => window.vigViewer.duration()")
        viewer.video("(v.muted = true, true)")
        return [viewer.page.evaluate(SEEK, rng.uniform(0, duration - 0.5)) for _ in range(seeks)]


def decryption(base: Path, mib: int) -> dict:
    root, key, _ = export_big_session(base, mib << 20)
    html = base / "vig-viewer.html"
    html.write_bytes(viewer_bytes())
    with viewer_page() as viewer:
        viewer.open(html, root, key)
        viewer.wait_for_list()
        return viewer.page.evaluate(
            "() => window.vigViewer.decryptionRates(0, 'part-0001.mp4.age')")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeks", type=int, default=20)
    parser.add_argument("--mib", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print("recording a three-part session with the CLI ...", flush=True)
        export = make_export(base / "export")
        listed, shown = first_frame(export)
        print(f"key chosen -> sessions listed: {listed * 1000:.0f} ms; "
              f"-> first frame: {shown * 1000:.0f} ms")
        seeks = sorted(seek_latencies(export, args.seeks))
        print(f"seek to a random point -> can play: median {statistics.median(seeks):.0f} ms, "
              f"worst {seeks[-1]:.0f} ms over {len(seeks)} seeks (goal: under 1000 ms)")
        print(f"building a {args.mib} MiB part ...", flush=True)
        rates = decryption(base / "big", args.mib)
        ours = rates["bytes"] / rates["viewerS"] / 1e6
        typage = rates["typageBytes"] / rates["typageS"] / 1e6
        print(f"decryption in the page: viewer {ours:.0f} MB/s, typage's stream {typage:.0f} MB/s, "
              f"ratio {ours / typage:.2f}x (goal >= 0.9x); {rates['bytes'] / 1e6:.0f} MB each")


if __name__ == "__main__":
    main()
