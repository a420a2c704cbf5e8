"""Issue 4's end-to-end checks: a session recorded through the controller, read back."""

from __future__ import annotations

import itertools

import pytest

from .media import analyse, av_offsets, decrypt, read_json
from .rig import make_rig

AV_TOLERANCE = 0.015


def assert_consecutive(strip_ms: list[int], fps: int) -> None:
    """No frame dropped or repeated: strip times step by exactly one frame period (±1 ms)."""
    steps = [b - a for a, b in itertools.pairwise(strip_ms)]
    frame_ms = 1000 / fps
    bad = [(i, s) for i, s in enumerate(steps) if abs(s - frame_ms) > 1.0]
    assert not bad, f"frames dropped or repeated at (index, step ms): {bad[:10]}"


def test_a_sixty_second_session_has_every_frame_both_tracks_and_sync(tmp_path):
    fps = 30
    rig = make_rig(tmp_path, width=640, height=360, fps=fps, bitrate=1_000_000)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start("CASE-60")
    started = rig.clock.now()
    rig.run_for(60)
    stopped = rig.clock.now()
    rig.stop()

    parts = rig.files(session_id, "part")
    assert len(parts) == 1
    media = analyse(decrypt(parts[0], rig.identity), 640)
    assert media.codecs == {"h264", "aac"}
    assert media.first_keyframe
    assert_consecutive(media.strip_ms, fps)
    first_capture = media.strip_ms[0] / 1000
    assert 0 <= first_capture - started <= 0.150
    expected = stopped - first_capture
    assert abs(media.video_duration - expected) <= 1 / fps + 1e-6
    assert media.audio_samples / media.audio_rate == pytest.approx(media.video_duration, abs=0.1)
    offsets = av_offsets(media)
    assert len(offsets) == 12
    assert max(abs(o) for o in offsets) <= AV_TOLERANCE, offsets
    info = rig.vault.session(session_id)
    assert info.state == "complete"
    assert info.duration_s == pytest.approx(expected, abs=1 / fps + 1e-6)


def test_marks_land_in_their_files_and_clips_within_one_frame(tmp_path):
    fps, pre, post = 30, 10.0, 5.0
    rig = make_rig(tmp_path, fps=fps, pre_roll=pre, post_roll=post)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    started = rig.clock.now()
    mark_moments = []
    for offset, tag in ((3.2, "guiding"), (20.0, None), (37.5, "being-attentive")):
        rig.run_for(started + offset - rig.clock.now())
        moment = rig.clock.now() - 0.1  # the press happened 100 ms before the call
        rig.controller.mark(tag=tag, note=f"note {offset}", at=moment)
        mark_moments.append((moment, tag))
    rig.run_for(started + 40.0 - rig.clock.now())
    ended = rig.clock.now()
    rig.stop()

    part = analyse(decrypt(rig.files(session_id, "part")[0], rig.identity), 320)
    clips = rig.files(session_id, "clip")
    marks = rig.files(session_id, "mark")
    assert len(clips) == len(marks) == 3
    for number, (moment, tag) in enumerate(mark_moments, start=1):
        record = read_json(marks[number - 1], rig.identity)
        assert record["number"] == number and record["tag"] == tag
        # The frame showing the press moment, and where the mark file put it:
        shown = min(range(len(part.strip_ms)), key=lambda i: abs(part.strip_ms[i] / 1000 - moment))
        assert abs(part.frame_times[shown] - record["media_time"]) <= 1 / fps + 1e-6

        clip = analyse(decrypt(clips[number - 1], rig.identity), 320)
        assert clip.codecs == {"h264", "aac"} and clip.first_keyframe
        assert_consecutive(clip.strip_ms, fps)
        assert min(abs(ms / 1000 - moment) for ms in clip.strip_ms) <= 1 / fps
        first, last = clip.strip_ms[0] / 1000, clip.strip_ms[-1] / 1000
        assert first <= max(moment - pre, part.strip_ms[0] / 1000) + 1e-3
        assert last + 1 / fps >= min(moment + post, ended) - 1 / fps


def test_parts_rotate_at_a_keyframe_and_join_without_a_gap(tmp_path):
    fps = 10
    rig = make_rig(tmp_path, fps=fps, part_max_seconds=20.0)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    rig.run_for(50)
    rig.stop()
    parts = rig.files(session_id, "part")
    assert len(parts) == 3
    joined: list[int] = []
    for path in parts:
        media = analyse(decrypt(path, rig.identity), 320)
        assert media.codecs == {"h264", "aac"} and media.first_keyframe
        assert media.video_duration <= 21.0
        joined += media.strip_ms
    assert_consecutive(joined, fps)


@pytest.mark.slow
@pytest.mark.parametrize("skew_ppm", [+100.0, -100.0])
def test_sound_stays_on_the_picture_after_an_hour_with_a_skewed_sound_card(tmp_path, skew_ppm):
    rig = make_rig(tmp_path, fps=10, bitrate=150_000, skew_ppm=skew_ppm, part_max_seconds=7200.0)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    rig.run_for(3600)
    rig.stop()
    media = analyse(decrypt(rig.files(session_id, "part")[0], rig.identity), 320)
    assert media.video_duration > 3599
    offsets = av_offsets(media)
    assert len(offsets) >= 719
    late = offsets[-60:]  # the last five minutes
    assert max(abs(o) for o in offsets[:12]) <= AV_TOLERANCE, offsets[:12]
    assert max(abs(o) for o in late) <= AV_TOLERANCE, late
