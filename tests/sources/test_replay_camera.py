from __future__ import annotations

import io

import av
import numpy as np
import pytest

from appliance.sources import (
    ReplayCamera,
    ReplayFileError,
    VirtualClock,
    decode_strip,
    make_replay_file,
)
from appliance.sources.annexb import split_access_units

from .h264 import decode_luma


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "scene.h264"
    assert make_replay_file(path, 2.0, 320, 240, 30, 300_000) == 60
    return path


def test_replay_file_is_annex_b_with_an_idr_each_second_and_strips_from_zero(replay_file):
    units = split_access_units(replay_file.read_bytes())
    assert len(units) == 60
    clock = VirtualClock()
    camera = ReplayCamera(clock, replay_file, 30, loop=False)
    frames = []
    camera.start(frames.append)
    clock.advance(2.0)
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 30]
    pictures = decode_luma(frames)
    assert [decode_strip(p) for p in pictures] == [round(n * 1000 / 30) for n in range(60)]


def test_replay_paces_access_units_on_the_clock_and_loops(replay_file):
    clock = VirtualClock(start=50.0)
    camera = ReplayCamera(clock, replay_file, 25)
    assert (camera.width, camera.height) == (320, 240)
    frames = []
    camera.start(frames.append)
    clock.advance(5.0)
    camera.stop()
    assert len(frames) == 126
    assert np.diff([f.capture_time for f in frames]) == pytest.approx(1 / 25)
    assert frames[0].capture_time == 50.0
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 30, 60, 90, 120]
    assert frames[60].data == frames[0].data
    assert len(decode_luma(frames)) == 126


def test_replay_without_loop_stops_at_the_end(replay_file):
    clock = VirtualClock()
    camera = ReplayCamera(clock, replay_file, 30, loop=False)
    frames = []
    camera.start(frames.append)
    clock.advance(10.0)
    assert len(frames) == 60
    assert not camera.running


def test_replay_preview_is_the_latest_idr_picture(replay_file):
    clock = VirtualClock()
    camera = ReplayCamera(clock, replay_file, 30)
    assert camera.preview_jpeg() is None
    camera.start(lambda f: None)
    clock.advance(1.5)
    camera.stop()
    with av.open(io.BytesIO(camera.preview_jpeg())) as container:
        picture = next(container.decode(video=0))
    assert (picture.width, picture.height) == (320, 240)
    assert decode_strip(picture.to_ndarray(format="gray")) == 1000


def test_unusable_replay_files_are_refused_in_plain_words(tmp_path, replay_file):
    with pytest.raises(ReplayFileError):
        ReplayCamera(VirtualClock(), tmp_path / "missing.h264")
    empty = tmp_path / "empty.h264"
    empty.write_bytes(b"")
    with pytest.raises(ReplayFileError):
        ReplayCamera(VirtualClock(), empty)
    noise = tmp_path / "noise.h264"
    noise.write_bytes(np.random.default_rng(3).bytes(4000))
    with pytest.raises(ReplayFileError):
        ReplayCamera(VirtualClock(), noise)
    garbage_idr = tmp_path / "garbage.h264"
    garbage_idr.write_bytes(b"\x00\x00\x00\x01\x65\x88" + np.random.default_rng(3).bytes(4000))
    with pytest.raises(ReplayFileError):
        ReplayCamera(VirtualClock(), garbage_idr)
    units = split_access_units(replay_file.read_bytes())
    headless = tmp_path / "headless.h264"
    headless.write_bytes(b"".join(units[1:30]))
    with pytest.raises(ReplayFileError):
        ReplayCamera(VirtualClock(), headless)
