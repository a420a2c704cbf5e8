"""Clips: from the last keyframe at or before (mark − pre-roll) to (mark + post-roll)."""

from __future__ import annotations

import subprocess

import pytest

from tests.tooling import require_tool

from .conftest import MemorySession
from .media import beep_onsets, decode, top_level_boxes
from .recording_run import run_scene, small_config
from .scenario import Scene

START = 1000.0  # shared-clock time of the scene's first picture


def clip_frames(session: MemorySession, number: int) -> list[int]:
    return decode(bytes(session.clips[number].data)).frame_numbers


def test_clip_bounds_follow_pre_and_post_roll(tmp_path):
    session = MemorySession()
    config = small_config(pre_roll=3.0, post_roll=2.0)
    recorder = run_scene(Scene(seconds=12), session, config, marks=[(1, START + 6.55)])
    (info,) = recorder.clips
    assert info.mark_time == pytest.approx(6.55)
    assert info.start_time == pytest.approx(3.0), "last keyframe at or before 3.55 s"
    assert info.end_time == pytest.approx(8.55)
    assert clip_frames(session, 1) == list(range(30, 86))
    assert session.clips[1].closed


def test_clip_plays_and_ffprobe_reads_its_duration(tmp_path):
    ffprobe = require_tool("ffprobe", "ffmpeg")
    session = MemorySession()
    config = small_config(pre_roll=2.0, post_roll=2.0)
    run_scene(Scene(seconds=10, flash_every=5), session, config, marks=[(4, START + 5.0)])
    data = bytes(session.clips[4].data)
    top_level_boxes(data)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    out = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        check=True, capture_output=True, text=True,
    ).stdout
    assert float(out) == pytest.approx(4.0, abs=0.1)
    decoded = decode(data)
    assert decoded.flash_times == [pytest.approx(2.0)]
    (onset,) = beep_onsets(decoded)
    assert abs(onset - decoded.flash_times[0]) <= 0.015


def test_mark_in_the_first_seconds_gets_a_shorter_pre_roll():
    session = MemorySession()
    recorder = run_scene(Scene(seconds=10), session, small_config(), marks=[(1, START + 2.0)])
    (info,) = recorder.clips
    assert info.start_time == 0.0 and info.end_time == pytest.approx(7.0)
    assert clip_frames(session, 1) == list(range(70))


def test_stop_ends_open_clips_at_the_stop():
    session = MemorySession()
    recorder = run_scene(Scene(seconds=8), session, small_config(), marks=[(2, START + 6.0)])
    (info,) = recorder.clips
    assert info.end_time == pytest.approx(8.0) and info.closed
    assert clip_frames(session, 2) == list(range(80))
    assert session.clips[2].closed


def test_overlapping_marks_each_get_their_clip():
    session = MemorySession()
    config = small_config(pre_roll=2.0, post_roll=2.0)
    marks = [(1, START + 4.0), (2, START + 5.05)]
    run_scene(Scene(seconds=10), session, config, marks=marks)
    assert clip_frames(session, 1) == list(range(20, 60))
    assert clip_frames(session, 2) == list(range(30, 71))


def test_ring_keeps_only_pre_roll_and_one_gop():
    session = MemorySession()
    recorder = run_scene(Scene(seconds=30), session, small_config(pre_roll=3.0))
    gops = recorder._clips._gops
    assert 3 <= sum(len(g) for g in gops) / 10 <= 4 + 1e-9
