from __future__ import annotations

import math
import time

import numpy as np
import pytest

from appliance.sources import (
    MonotonicClock,
    SourceSettingsError,
    SyncSchedule,
    SyntheticCamera,
    SyntheticMicrophone,
    VirtualClock,
)
from appliance.sources.level import level_dbfs
from appliance.sources.strip import WHITE, strip_height
from appliance.sources.synthetic_microphone import (
    CLIPPING,
    FAINT,
    ROOM,
    SILENCE,
    SOUNDS,
    SPEECH,
    STUCK,
)

from .h264 import decode_luma

BEEP_THRESHOLD = 0.01  # ten times the noise's standard deviation


def record(mic: SyntheticMicrophone, clock: VirtualClock, seconds: float):
    blocks = []
    mic.start(blocks.append)
    clock.advance(seconds)
    mic.stop()
    return blocks, np.concatenate([b.samples[:, 0] for b in blocks])


def onsets(sound: np.ndarray) -> list[int]:
    """First sample of each burst of sound above the threshold."""
    loud = np.flatnonzero(np.abs(sound) > BEEP_THRESHOLD)
    gaps = np.flatnonzero(np.diff(loud) > 4800)
    return [int(loud[0]), *(int(loud[i + 1]) for i in gaps)]


@pytest.mark.parametrize("ppm", [0.0, 100.0, -100.0])
def test_beep_starts_within_one_sample_of_each_flash(ppm):
    start = 2.345
    clock = VirtualClock(start=start)
    mic = SyntheticMicrophone(clock, skew_ppm=ppm)
    _, sound = record(mic, clock, 16.0)
    rate = 48_000 * (1 + ppm * 1e-6)
    expected = [math.ceil((flash - start) * rate) for flash in (5.0, 10.0, 15.0)]
    found = onsets(sound)
    assert len(found) == 3
    # The tone starts at phase 0, so its first sample may still be under the threshold.
    assert all(0 <= got - want <= 1 for got, want in zip(found, expected, strict=True))
    assert all(abs(sound[want - 1]) < BEEP_THRESHOLD for want in expected)
    burst = sound[expected[0] : expected[0] + 4800]
    assert np.abs(burst).max() == pytest.approx(0.5, abs=0.01)
    assert np.abs(sound[expected[0] + 4810 : expected[0] + 9600]).max() < BEEP_THRESHOLD


@pytest.mark.parametrize("ppm", [0.0, 100.0, -100.0])
def test_skewed_sample_clock_produces_the_right_count_over_a_minute(ppm):
    clock = VirtualClock()
    mic = SyntheticMicrophone(clock, block_frames=64, skew_ppm=ppm)
    blocks, sound = record(mic, clock, 60.0)
    expected = 60 * 48_000 * (1 + ppm * 1e-6)
    assert expected - 64 < len(sound) <= expected
    assert mic.samples_delivered == len(sound)
    assert sound.dtype == np.float32
    assert blocks[0].samples.shape == (64, 1)
    assert all(b.sample_rate == 48_000 for b in blocks)


def test_block_capture_time_is_the_true_time_of_its_first_sample():
    clock = VirtualClock(start=7.0)
    mic = SyntheticMicrophone(clock, block_frames=480, skew_ppm=100.0)
    delivered_at = []
    mic.start(lambda b: delivered_at.append((b, clock.now())))
    clock.advance(1.0)
    mic.stop()
    true_rate = 48_000 * 1.0001
    for i, (block, now) in enumerate(delivered_at):
        assert block.capture_time == pytest.approx(7.0 + i * 480 / true_rate, abs=1e-9)
        assert now == pytest.approx(block.capture_time + 480 / true_rate, abs=1e-9)


def test_beep_and_flash_share_the_clock_epoch():
    sync = SyncSchedule(epoch=0.7, period=2.0)
    clock = VirtualClock(start=0.1)
    camera = SyntheticCamera(clock, 320, 240, 25, 300_000, sync=sync)
    mic = SyntheticMicrophone(clock, skew_ppm=-60.0, flash_period=2.0, sync=sync)
    sound_blocks, frames = [], []
    camera.start(frames.append)
    mic.start(sound_blocks.append)
    clock.advance(5.0)
    camera.stop()
    mic.stop()
    sound = np.concatenate([b.samples[:, 0] for b in sound_blocks])
    beep_times = [mic.sample_time(j) for j in onsets(sound)]
    pictures = decode_luma(frames)
    flash_times = [
        f.capture_time
        for f, p in zip(frames, pictures, strict=True)
        if p[strip_height(320) :].min() >= WHITE - 20
    ]
    assert flash_times == pytest.approx([0.7, 2.7, 4.7], abs=1e-9)
    assert beep_times == pytest.approx(flash_times, abs=1.5 / 48_000)


def test_same_seed_same_sound():
    def sound() -> np.ndarray:
        clock = VirtualClock()
        return record(SyntheticMicrophone(clock), clock, 1.0)[1]

    assert np.array_equal(sound(), sound())


def test_microphone_on_a_real_clock_keeps_up():
    """A 10 ms block arrives once its samples are captured: as many as the time that passed
    allows (measured, since a loaded machine oversleeps), at most 0.1 s behind."""
    clock = MonotonicClock()
    mic = SyntheticMicrophone(clock, block_frames=480)
    blocks = []
    started = clock.now()
    mic.start(blocks.append)
    time.sleep(0.5)
    stopping = clock.now()
    mic.stop()
    stopped = clock.now()
    assert (stopping - started) / 0.01 - 10 <= len(blocks) <= (stopped - started) / 0.01
    assert np.diff([b.capture_time for b in blocks]) == pytest.approx(0.01)


def test_bad_settings_are_named():
    clock = VirtualClock()
    with pytest.raises(SourceSettingsError):
        SyntheticMicrophone(clock, sample_rate=0)
    with pytest.raises(SourceSettingsError):
        SyntheticMicrophone(clock, flash_period=3.0, sync=SyncSchedule(period=5.0))


def heard(sound: str, seconds: float, start: float = 0.0) -> np.ndarray:
    clock = VirtualClock(start=start)
    return record(SyntheticMicrophone(clock, sound=sound), clock, seconds)[1]


def peak_dbfs(samples: np.ndarray) -> float:
    return 20 * math.log10(float(np.abs(samples).max()))


def test_a_dead_microphone_hears_neither_the_room_nor_the_beeps():
    assert not heard(SILENCE, 6.0).any()
    stuck = heard(STUCK, 6.0)
    assert np.all(stuck == stuck[0]) and stuck[0] != 0
    assert peak_dbfs(heard(FAINT, 6.0)) <= -95.0


def test_the_quiet_room_is_at_minus_60_dBFS_with_its_beeps():
    sound = heard(ROOM, 4.0, start=1.0)  # no beep before the flash at 5 s
    assert level_dbfs(sound) == pytest.approx(-60.0, abs=0.5)
    assert np.abs(heard(ROOM, 6.0)).max() == pytest.approx(0.5, abs=0.01)


def test_speech_talks_for_three_seconds_then_pauses_for_five():
    sound = heard(SPEECH, 16.0, start=0.5)  # 0.5-3: talk, 3-8: pause, 8-11: talk
    rate = 48_000

    def between(a: float, b: float) -> np.ndarray:
        return sound[round((a - 0.5) * rate) : round((b - 0.5) * rate)]

    assert level_dbfs(between(0.5, 3.0)) > -35.0
    assert level_dbfs(between(8.0, 11.0)) > -35.0
    pause = np.concatenate([between(3.0, 4.9), between(5.2, 8.0)])  # around the beep at 5 s
    assert level_dbfs(pause) == pytest.approx(-60.0, abs=0.5)
    assert peak_dbfs(sound) < -1.0  # the beeps and the voice never clip


def test_clipping_speech_is_cut_at_full_scale():
    sound = heard(CLIPPING, 3.0)
    assert np.abs(sound).max() == 1.0
    assert np.count_nonzero(np.abs(sound) == 1.0) > 1000


def test_what_it_hears_changes_from_the_next_block_while_it_runs():
    clock = VirtualClock()
    mic = SyntheticMicrophone(clock, block_frames=480)
    blocks = []
    mic.start(blocks.append)
    clock.advance(1.0)
    mic.hear(SILENCE)
    clock.advance(1.0)
    mic.stop()
    assert blocks[99].samples.any() and not blocks[100].samples.any()
    assert not np.concatenate([b.samples for b in blocks[100:]]).any()


def test_a_sound_it_cannot_make_is_refused_in_words():
    mic = SyntheticMicrophone(VirtualClock())
    with pytest.raises(SourceSettingsError, match="cannot hear 'rain'"):
        mic.hear("rain")
    assert mic.sound == ROOM
    assert set(SOUNDS) == {ROOM, SPEECH, CLIPPING, SILENCE, FAINT, STUCK}
