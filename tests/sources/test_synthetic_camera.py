from __future__ import annotations

import io
import time

import av
import numpy as np
import pytest

from appliance.sources import (
    MonotonicClock,
    SourceSettingsError,
    SourceStateError,
    SyncSchedule,
    SyntheticCamera,
    VirtualClock,
)
from appliance.sources.annexb import NAL_IDR, NAL_PPS, NAL_SPS, nal_types
from appliance.sources.strip import WHITE, strip_height

from .h264 import decode_luma, decode_pict_types


def run(camera: SyntheticCamera, clock: VirtualClock, seconds: float):
    frames = []
    camera.start(frames.append)
    clock.advance(seconds)
    camera.stop()
    return frames


def is_white(picture: np.ndarray, width: int) -> bool:
    return bool(picture[strip_height(width) :].min() >= WHITE - 20)


def test_exactly_one_white_frame_per_sync_period_on_the_flash_instant():
    clock = VirtualClock(start=1.234)
    camera = SyntheticCamera(clock, 320, 240, 30, 300_000)
    frames = run(camera, clock, 20.0)
    pictures = decode_luma(frames)
    white = [f.capture_time for f, p in zip(frames, pictures, strict=True) if is_white(p, 320)]
    assert white == pytest.approx([5.0, 10.0, 15.0, 20.0], abs=1e-9)


def test_flash_rule_with_a_frame_grid_that_misses_the_instants():
    sync = SyncSchedule(epoch=0.0, period=5.0)
    # 7 fps: frames at k/7 s; the first at or after 5.0 s is 35/7 = 5.0, after 10 s 70/7.
    times = [n / 7 for n in range(0, 7 * 16)]
    flashes = [t for t in times if sync.is_flash_frame(t, 1 / 7)]
    assert flashes == pytest.approx([0.0, 5.0, 10.0, 15.0])
    times = [0.013 + n * 0.3 for n in range(60)]
    flashes = [t for t in times if sync.is_flash_frame(t, 0.3)]
    assert flashes == pytest.approx([0.013, 5.113, 10.213, 15.013])


def test_frames_are_on_the_epoch_grid_with_one_idr_per_second_and_no_b_frames():
    clock = VirtualClock(start=0.51)
    frames = run(SyntheticCamera(clock, 320, 240, 30, 300_000), clock, 3.1)
    assert frames[0].capture_time == pytest.approx(16 / 30)
    assert np.diff([f.capture_time for f in frames]) == pytest.approx(1 / 30)
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 30, 60, 90]
    for frame in frames:
        kinds = nal_types(frame.data)
        assert frame.data.startswith(b"\x00\x00\x00\x01")
        assert (NAL_IDR in kinds) == frame.keyframe
        if frame.keyframe:
            assert kinds[:2] == [NAL_SPS, NAL_PPS]
    assert "B" not in decode_pict_types(frames)


def test_request_keyframe_makes_the_next_frame_an_idr():
    clock = VirtualClock()
    camera = SyntheticCamera(clock, 320, 240, 30, 300_000)
    frames = []
    camera.start(frames.append)
    clock.advance(0.3)
    assert not frames[-1].keyframe
    before = len(frames)
    camera.request_keyframe()
    clock.advance(1 / 30)
    assert len(frames) == before + 1
    assert frames[-1].keyframe
    assert NAL_SPS in nal_types(frames[-1].data)
    assert NAL_IDR in nal_types(frames[-1].data)
    clock.advance(0.2)
    camera.stop()
    assert not any(f.keyframe for f in frames[before + 1 :])


def test_camera_on_a_real_clock_delivers_about_fps_frames_a_second():
    """About one frame per 1/30 s that passed (measured, since a loaded machine oversleeps);
    a late frame may be dropped, but none is captured ahead of its time."""
    clock = MonotonicClock()
    camera = SyntheticCamera(clock, 320, 240, 30, 300_000)
    arrivals = []
    started = clock.now()
    camera.start(lambda f: arrivals.append((f, clock.now())))
    time.sleep(1.0)
    stopping = clock.now()
    camera.stop()
    stopped = clock.now()
    assert (stopping - started) * 30 - 5 <= len(arrivals) <= (stopped - started) * 30 + 1
    assert all(now >= f.capture_time for f, now in arrivals)
    assert arrivals[0][0].keyframe


def test_preview_is_a_small_jpeg_of_the_latest_picture():
    clock = VirtualClock()
    camera = SyntheticCamera(clock, 1280, 720, 30, 1_000_000)
    assert camera.preview_jpeg() is None
    run(camera, clock, 0.1)
    jpeg = camera.preview_jpeg()
    assert jpeg.startswith(b"\xff\xd8")
    with av.open(io.BytesIO(jpeg)) as container:
        picture = next(container.decode(video=0))
    assert (picture.width, picture.height) == (640, 360)


def test_starting_twice_is_refused_and_bad_settings_are_named():
    clock = VirtualClock()
    camera = SyntheticCamera(clock, 320, 240)
    camera.start(lambda f: None)
    with pytest.raises(SourceStateError):
        camera.start(lambda f: None)
    camera.stop()
    with pytest.raises(SourceSettingsError):
        SyntheticCamera(clock, 321, 240)
    with pytest.raises(SourceSettingsError):
        SyntheticCamera(clock, 320, 240, fps=0)


def test_a_camera_can_be_stopped_and_started_again_beginning_with_an_idr():
    clock = VirtualClock()
    camera = SyntheticCamera(clock, 320, 240, 30, 300_000)
    first = run(camera, clock, 0.5)
    clock.advance(0.25)
    second = run(camera, clock, 0.5)
    assert first[0].keyframe and second[0].keyframe
    assert second[0].capture_time == pytest.approx(23 / 30)
    assert len(decode_luma(second)) == len(second)


def test_a_failing_sink_stops_the_camera_and_is_reported():
    clock = VirtualClock()
    camera = SyntheticCamera(clock, 320, 240, 30, 300_000)

    def full_disk(frame) -> None:
        raise OSError(28, "No space left on device")

    camera.start(full_disk)
    with pytest.raises(OSError):
        clock.advance(1.0)
    assert not camera.running
    assert isinstance(camera.error, OSError)
    clock.advance(1.0)
    camera.stop()
