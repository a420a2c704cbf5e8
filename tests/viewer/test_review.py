"""The review plan: clips and frames chosen for the shared review, saved only as an age file
to the practitioner's own recipient, and opened again later."""

from __future__ import annotations

import json
import subprocess

from tests.tooling import require_tool

from .viewer_page import viewer_page

NOTE = "Mum waits for his reply; he looks up at her"


def test_the_review_plan_round_trips_through_its_age_file_and_holds_no_plaintext(
    export, tmp_path
):
    age = require_tool("age", "age")
    with viewer_page() as viewer:
        # Chromium's own save dialog cannot be driven headless: the page falls back to a download.
        viewer.page.add_init_script("delete window.showSaveFilePicker;")
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        viewer.page.click("#marks li:nth-child(2) button:has-text('Add to review')")
        viewer.page.fill("#plan-clips li:nth-child(1) input[aria-label='reflection note']", NOTE)
        viewer.seek_and_wait(6.5)
        viewer.page.click("#set-in")
        viewer.seek_and_wait(8.0)
        viewer.page.click("#set-out")
        viewer.seek_and_wait(7.25)
        viewer.page.click("#add-frame")
        with viewer.page.expect_download() as download:
            viewer.page.click("#save-plan")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"review-{export.session_id}.age"

        raw = saved.read_bytes()
        assert raw.startswith(b"age-encryption.org/v1\n") and NOTE.encode() not in raw
        plan = json.loads(subprocess.run([age, "-d", "-i", str(export.keys["x25519"]),
                                          str(saved)], capture_output=True, check=True).stdout)
        assert plan["format"] == "vig-review-plan/1" and plan["session_id"] == export.session_id
        assert [c["mark"] for c in plan["clips"]] == [2, None]
        assert plan["clips"][0]["note"] == NOTE
        assert abs(plan["clips"][1]["in"] - 6.5) < 0.05
        assert abs(plan["clips"][1]["out"] - 8.0) < 0.05
        assert [round(f["time"], 2) for f in plan["frames"]] == [7.25]

    with viewer_page() as viewer:
        viewer.watch(export.viewer, export.root, export.keys["post_quantum"])
        viewer.page.set_input_files("#plan-input", str(saved))
        viewer.until("document.getElementById('watch-banner').textContent.includes('not a review')")
        assert "not a review plan made with this key" in viewer.banner()

    with viewer_page() as viewer:
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        viewer.page.set_input_files("#plan-input", str(saved))
        viewer.until("document.getElementById('watch-banner').textContent.includes('opened')")
        clips = viewer.page.inner_text("#plan-clips")
        assert "Mark 2" in clips and "0:06–0:08" in clips
        assert viewer.page.input_value(
            "#plan-clips li:nth-child(1) input[aria-label='reflection note']") == NOTE
        assert "Frame at 0:07" in viewer.page.inner_text("#plan-frames")


def test_review_mode_plays_the_chosen_clips_in_order_and_stops_on_the_frame(export):
    with viewer_page() as viewer:
        viewer.watch(export.viewer, export.root, export.keys["x25519"])
        viewer.video("(v.muted = true, true)")
        viewer.page.click("#marks li:nth-child(1) button:has-text('Add to review')")
        viewer.seek_and_wait(9.0)
        viewer.page.click("#set-in")
        viewer.seek_and_wait(10.0)
        viewer.page.click("#set-out")
        viewer.seek_and_wait(11.5)
        viewer.page.click("#add-frame")
        viewer.page.fill("#plan-frames li input[aria-label='frame note']", "Look at her smile")
        clips = viewer.page.evaluate("() => window.vigViewer.plan().clips")
        viewer.page.evaluate("""() => {
            window.__seen = [];
            const v = document.getElementById('video');
            v.addEventListener('timeupdate', () => window.__seen.push(v.currentTime));
        }""")
        viewer.page.click("#review-mode")
        viewer.until("document.getElementById('watch-banner').textContent === 'Look at her smile'",
                     timeout=40)
        seen = viewer.page.evaluate("() => window.__seen")
        assert viewer.video("v.paused") and abs(viewer.video("v.currentTime") - 11.5) < 0.05
        first, second = clips
        in_first = [t for t in seen if first["in"] - 0.1 <= t <= first["out"] + 0.3]
        in_second = [t for t in seen if second["in"] - 0.1 <= t <= second["out"] + 0.3]
        assert in_first and in_second
        assert max(seen.index(t) for t in in_first) < min(seen.index(t) for t in in_second)
        viewer.page.click("#review-next")
        viewer.until("document.getElementById('watch-banner').textContent === 'End of the review.'")
