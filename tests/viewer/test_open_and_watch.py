"""The viewer opens a real export with each kind of key, and plays it as one session.

Opened from file:// in Debian's Chromium, as on a council laptop where nothing can be installed.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.tooling import require_tool

from .conftest import CASE, PASSPHRASE
from .viewer_page import viewer_page

FRAME_MS = 1000 / 30


def marks_of(export) -> list[dict]:
    age = require_tool("age", "age")
    marks = []
    for path in sorted(export.session.glob("mark-*.json.age")):
        plain = subprocess.run([age, "-d", "-i", str(export.keys["x25519"]), str(path)],
                               capture_output=True, check=True).stdout
        marks.append(json.loads(plain))
    return marks


@pytest.mark.parametrize("kind", ["x25519", "post_quantum", "passphrase"])
def test_each_kind_of_key_opens_the_session_and_its_frames_advance(export, kind):
    with viewer_page() as viewer:
        viewer.open(export.viewer, export.root, export.keys[kind],
                    PASSPHRASE if kind == "passphrase" else None)
        rows = viewer.wait_for_list()
        assert CASE in rows and "complete" in rows and "consent not recorded" in rows
        viewer.watch_first()
        viewer.video("(v.muted = true, v.play(), true)")
        start = viewer.video("v.getVideoPlaybackQuality().totalVideoFrames")
        viewer.until("document.getElementById('video').currentTime > 1.0")
        assert viewer.video("v.getVideoPlaybackQuality().totalVideoFrames") > start + 10
        assert viewer.errors == []


def test_a_key_that_was_never_enrolled_is_refused_in_words(export):
    with viewer_page() as viewer:
        viewer.open(export.viewer, export.root, export.keys["stranger"])
        rows = viewer.wait_for_list()
        assert "was not recorded for this key" in rows
        assert "Watch" not in rows


def test_a_wrong_passphrase_is_refused_in_words_and_the_right_one_then_opens(export):
    with viewer_page() as viewer:
        viewer.open(export.viewer, export.root, export.keys["passphrase"], "not the passphrase")
        viewer.page.wait_for_selector("#open-status:not([hidden])")
        viewer.until("document.getElementById('open-status').textContent.includes('passphrase')")
        assert "does not open this key file" in viewer.page.inner_text("#open-status")
        viewer.page.fill("#passphrase", PASSPHRASE)
        viewer.page.click("#open-button")
        assert CASE in viewer.wait_for_list()


def test_a_seek_to_a_mark_shows_the_marks_time_minus_the_lead_in_within_one_frame(export):
    marks = marks_of(export)
    with viewer_page() as viewer:
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        viewer.seek_and_wait(0.0)
        at_zero = viewer.strip_ms()
        viewer.page.fill("#lead-in", "2")
        for mark in marks:
            viewer.page.click(f"#timeline [data-mark='{mark['number']}']")
            viewer.until("document.getElementById('video').seeking === false && "
                         "document.getElementById('video').readyState >= 2")
            viewer.video("(v.pause(), true)")
            target = viewer.video("v.currentTime")
            viewer.seek_and_wait(target)
            shown_ms = viewer.strip_ms() - at_zero
            assert abs(target - (mark["media_time"] - 2)) < 0.3  # play() may have moved on
            assert abs(shown_ms - 1000 * target) <= FRAME_MS + 1


def test_three_parts_play_as_one_across_both_joins_with_no_gap(export):
    parts = sorted(export.session.glob("part-*.mp4.age"))
    assert len(parts) == 3, "the fixture's 5 s parts make three of a 13 s session"
    with viewer_page() as viewer:
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        viewer.seek_and_wait(0.0)
        at_zero = viewer.strip_ms()
        joins = viewer.page.evaluate("() => window.vigViewer.joins()")
        assert len(joins) == 2
        for join in joins:
            for t in (join - 0.5, join - 1 / 30, join, join + 0.5):
                viewer.seek_and_wait(t)
                assert abs(viewer.strip_ms() - at_zero - 1000 * t) <= FRAME_MS + 1, (join, t)
        viewer.until("document.getElementById('video').buffered.length > 0")
        viewer.seek_and_wait(0.0)
        viewer.video("(v.muted = true, v.playbackRate = 4, v.play(), true)")
        viewer.until("document.getElementById('video').ended", timeout=30)
        quality = viewer.video("v.getVideoPlaybackQuality().totalVideoFrames")
        assert quality >= 13 * 30 * 0.9
