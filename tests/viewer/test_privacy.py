"""What the viewer must never do: write plaintext to the laptop's disk, or reach the network.

Playwright's default context keeps its profile in memory, so it would pass whatever the page
did: these tests use a persistent profile on disk, and a control run proves the scan sees it.
"""

from __future__ import annotations

import http.server
import random
import subprocess
import threading
from pathlib import Path
from typing import ClassVar

from tests.tooling import require_tool

from .conftest import CASE
from .viewer_page import viewer_page


def plaintext_markers(export) -> list[bytes]:
    """The case code, each part's init segment, and samples of its media data."""
    age = require_tool("age", "age")
    rng = random.Random(7)
    markers = [CASE.encode()]
    for part in sorted(export.session.glob("part-*.mp4.age")):
        plain = subprocess.run([age, "-d", "-i", str(export.keys["x25519"]), str(part)],
                               capture_output=True, check=True).stdout
        markers.append(plain[:64])
        samples = 0
        while samples < 16:
            at = rng.randrange(4096, len(plain) - 64)
            sample = plain[at:at + 48]
            if len(set(sample)) >= 24:  # media data, not the zeros of a padding box
                markers.append(sample)
                samples += 1
    return markers


def files_holding(profile: Path, markers: list[bytes]) -> dict[str, int]:
    found = {}
    for path in profile.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits = sum(marker in data for marker in markers)
            if hits:
                found[str(path.relative_to(profile))] = hits
    return found


def test_watching_every_part_leaves_no_plaintext_in_the_browser_profile(export, tmp_path):
    markers = plaintext_markers(export)
    profile = tmp_path / "profile"
    with viewer_page(profile) as viewer:
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        for t in (0.5, 3.0, 6.0, 8.5, 11.0, 12.5, 1.0):
            viewer.seek_and_wait(t)
        viewer.video("(v.muted = true, v.play(), true)")
        viewer.until("document.getElementById('video').currentTime > 2.5")
        viewer.page.click("#marks li button:has-text('Play its clip')")
        viewer.until("document.getElementById('clip-video').readyState >= 2")
    assert files_holding(profile, markers) == {}


def test_control_the_scan_finds_plaintext_that_the_page_writes_into_indexeddb(export, tmp_path):
    markers = plaintext_markers(export)
    profile = tmp_path / "profile"
    with viewer_page(profile) as viewer:
        viewer.open(export.viewer, export.root, export.keys["x25519"])
        viewer.wait_for_list()
        viewer.page.evaluate("""(marker) => new Promise((resolve, reject) => {
            const open = indexedDB.open('control', 1);
            open.onupgradeneeded = () => open.result.createObjectStore('s');
            open.onsuccess = () => {
              const tx = open.result.transaction('s', 'readwrite');
              tx.objectStore('s').put(new TextEncoder().encode(marker), 'k');
              tx.oncomplete = () => { open.result.close(); resolve(); };
              tx.onerror = () => reject(tx.error);
            };
            open.onerror = () => reject(open.error);
        })""", CASE)
    assert files_holding(profile, markers), "the scan must see what the page stores"


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self):
        self.seen.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


def test_the_page_cannot_reach_the_network_by_any_means(export):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/leak"
    try:
        with viewer_page() as viewer:
            viewer.page.goto(export.viewer.as_uri())
            outcomes = viewer.page.evaluate("""async (url) => {
                const tries = {
                  fetch: () => fetch(url),
                  xhr: () => new Promise((ok, fail) => {
                    const x = new XMLHttpRequest(); x.open('GET', url);
                    x.onload = ok; x.onerror = () => fail(new Error('blocked')); x.send(); }),
                  image: () => new Promise((ok, fail) => {
                    const i = new Image(); i.onload = ok;
                    i.onerror = () => fail(new Error('blocked')); i.src = url; }),
                  websocket: () => new Promise((ok, fail) => {
                    const w = new WebSocket(url.replace('http', 'ws'));
                    w.onopen = ok; w.onerror = () => fail(new Error('blocked')); }),
                };
                // sendBeacon only queues (CSP refuses it later): the server's log is the proof.
                navigator.sendBeacon(url, 'x');
                const out = {};
                for (const [name, attempt] of Object.entries(tries)) {
                  try { await attempt(); out[name] = 'reached'; }
                  catch (e) { out[name] = 'blocked'; }
                }
                return out;
            }""", url)
            viewer.page.wait_for_timeout(500)
        assert set(outcomes.values()) == {"blocked"}, outcomes
        assert _Recorder.seen == []
    finally:
        server.shutdown()
