from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.sources import (
    StripUnreadable,
    SyncSchedule,
    SyntheticCamera,
    VirtualClock,
    decode_strip,
    draw_strip,
)
from appliance.sources.strip import block_size

from .h264 import decode_luma


@settings(max_examples=50, deadline=None)
@given(ms=st.integers(0, 2**32 - 1), width=st.sampled_from([1920, 1280, 960, 640, 320, 128]))
def test_strip_round_trips_on_gray_and_rgb_pictures(ms, width):
    gray = np.full((64, width), 90, np.uint8)
    draw_strip(gray, ms)
    assert decode_strip(gray) == ms
    rgb = np.full((64, width, 3), 90, np.uint8)
    draw_strip(rgb, ms)
    assert decode_strip(rgb) == ms


def test_block_size_follows_the_picture_width():
    assert block_size(1920) == 30
    assert block_size(960) == 30
    assert block_size(959) == 29
    assert block_size(320) == 10
    with pytest.raises(StripUnreadable):
        block_size(100)


def test_strip_reads_back_after_rescaling_when_the_drawn_width_is_given():
    picture = np.full((1080, 1920), 60, np.uint8)
    draw_strip(picture, 0xA5C3_0F96)
    half = picture[::2, ::2]
    assert decode_strip(half, width=1920) == 0xA5C3_0F96


def test_strip_value_is_milliseconds_since_the_epoch_modulo_2_32():
    sync = SyncSchedule(epoch=100.0)
    assert sync.strip_ms(100.0) == 0
    assert sync.strip_ms(112.3456) == 12346
    assert sync.strip_ms(100.0 + 2**32 / 1000 + 0.007) == 7


@pytest.mark.parametrize(
    ("width", "height", "bitrate", "seconds"),
    [(1920, 1080, 6_000_000, 0.4), (320, 240, 300_000, 2.0)],
)
def test_strip_survives_h264_encoding(width, height, bitrate, seconds):
    # Start late enough that the millisecond count sets high bits, and mid-GOP pictures
    # (P frames, heavier quantisation) are read too.
    clock = VirtualClock(start=3_000_000.123)
    camera = SyntheticCamera(clock, width, height, 30, bitrate)
    frames = []
    camera.start(frames.append)
    clock.advance(seconds)
    camera.stop()
    pictures = decode_luma(frames)
    assert len(pictures) == len(frames) >= seconds * 30
    for frame, picture in zip(frames, pictures, strict=True):
        assert decode_strip(picture) == camera.sync.strip_ms(frame.capture_time)
