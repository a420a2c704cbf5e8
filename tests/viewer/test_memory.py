"""Memory stays bounded for a 1 GiB part: the viewer reads ahead a few seconds, never a file.

Measured as the resident memory of Chromium's renderer processes (from /proc) while the
page plays the part and seeks through it from start to end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.viewer import viewer_bytes

from .big_session import export_big_session
from .viewer_page import viewer_page

GIB = 1 << 30
LIMIT_MB = 600


def renderer_rss_mb() -> float:
    """The largest resident set of any Chromium renderer process now."""
    largest = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            if b"--type=renderer" not in cmdline:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
        except OSError:
            continue
    return largest / 1024


@pytest.mark.slow
def test_a_1_gib_part_plays_and_seeks_end_to_end_within_600_mb_of_renderer_memory(tmp_path):
    root, key, duration = export_big_session(tmp_path, GIB)
    part = next(root.glob("*/part-0001.mp4.age"))
    assert part.stat().st_size >= GIB
    viewer_html = tmp_path / "vig-viewer.html"
    viewer_html.write_bytes(viewer_bytes())
    peak = 0.0
    with viewer_page() as viewer:
        viewer.watch(viewer_html, root, key)
        viewer.video("(v.muted = true, v.play(), true)")
        viewer.until("document.getElementById('video').currentTime > 2")
        peak = max(peak, renderer_rss_mb())
        for step in range(1, 10):
            viewer.seek_and_wait(duration * step / 10)
            viewer.video("(v.play(), true)")
            viewer.until("document.getElementById('video').readyState >= 3")
            peak = max(peak, renderer_rss_mb())
        assert viewer.errors == []
    print(f"\nrenderer peak RSS {peak:.0f} MB for a {part.stat().st_size / GIB:.2f} GiB part "
          f"({os.cpu_count()} cores)")
    assert 0 < peak < LIMIT_MB
