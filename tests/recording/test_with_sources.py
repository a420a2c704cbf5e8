"""End to end on virtual time: the synthetic camera and a +100 ppm microphone into a real
vault; decrypted parts and clip are read back by their time strips and sync beeps."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.config import RecordingConfig
from appliance.recording.recorder import Recorder
from appliance.sources import SyntheticCamera, SyntheticMicrophone, VirtualClock, decode_strip
from appliance.vault import LossyFileSystem
from appliance.vault.age import decrypt_file
from tests.support.clocks import WALL_START
from tests.support.vaults import make_enrolled_vault

from .media import beep_onsets, decode_frames_with

GIB = 1024**3
START = 100.0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("vault")
    config = RecordingConfig(width=320, height=240, fps=10, bitrate=400_000,
                             part_max_seconds=20.0, pre_roll=4.0, post_roll=3.0)
    disk = LossyFileSystem(root / "disk", free_bytes=64 * GIB)
    vault, identity = make_enrolled_vault(
        disk.root / "data", recording=config, fs=disk, wall_clock=lambda: WALL_START
    )
    session = vault.create_session({"case_code": "C-sources"})
    clock = VirtualClock(START)
    camera = SyntheticCamera(clock, 320, 240, 10, 400_000)
    microphone = SyntheticMicrophone(clock, skew_ppm=100.0)
    recorder = Recorder(session, config, threaded=False)
    microphone.start(recorder.on_audio)
    camera.start(recorder.on_frame)
    camera.request_keyframe()
    clock.run_until(START + 27.04)
    mark_time = recorder.add_mark(1, clock.now())
    clock.run_until(START + 45.0)
    camera.stop()
    microphone.stop()
    parts = recorder.stop()
    session.finish("complete")
    directory = disk.root / "data" / "sessions" / session.id
    files = {
        path.name: decrypt_file(path, [identity]) for path in sorted(directory.glob("*.mp4.age"))
    }
    return {"parts": parts, "files": files, "mark_time": mark_time}


def strip_ms(decoded_gray: np.ndarray) -> int:
    return decode_strip(decoded_gray)


def test_parts_join_with_every_frame_once(recorded):
    files = recorded["files"]
    assert sorted(files) == ["clip-0001.mp4.age", "part-0001.mp4.age", "part-0002.mp4.age",
                             "part-0003.mp4.age"]
    stamps = []
    for name in ("part-0001.mp4.age", "part-0002.mp4.age", "part-0003.mp4.age"):
        stamps += decode_frames_with(files[name], strip_ms)[0]
    steps = np.diff(stamps)
    assert (steps == 100).all(), "10 fps, no frame missing or repeated across parts"
    assert stamps[0] == START * 1000


def test_sound_follows_the_picture_with_a_fast_sound_card(recorded):
    """Every part starts on a flash: a part's first 21 ms of sound are AAC priming (the
    previous part carries them, see muxer.py), so a beep there is not checked."""
    checked = 0
    for name in ("part-0001.mp4.age", "part-0002.mp4.age", "part-0003.mp4.age"):
        data = recorded["files"][name]
        _, decoded = decode_frames_with(data, strip_ms)
        last = decoded.frame_times[-1]  # the sound of the last picture was never captured
        onsets = [t for t in beep_onsets(decoded) if 0.05 < t < last - 0.05]
        flashes = [t for t in decoded.flash_times if 0.0 < t < last]
        assert len(onsets) == len(flashes)
        checked += len(flashes)
        for onset, flash in zip(onsets, flashes, strict=True):
            assert abs(onset - flash) <= 0.015
    assert checked == 6


def test_the_clip_spans_pre_and_post_roll_around_the_mark(recorded):
    assert recorded["mark_time"] == pytest.approx(27.04)
    stamps, _ = decode_frames_with(recorded["files"]["clip-0001.mp4.age"], strip_ms)
    assert stamps[0] == (START + 23.0) * 1000, "last keyframe at or before mark − 4 s"
    assert stamps[-1] == (START + 30.0) * 1000, "last frame before mark + 3 s"
