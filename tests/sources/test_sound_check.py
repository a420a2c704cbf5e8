"""The sound check over synthetic blocks: when it calls the microphone dead or the sound
clipped, when it stays quiet, and when a warning goes again."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from appliance.sources.level import level_dbfs
from appliance.sources.sound_check import (
    CLIP_HOLD_SECONDS,
    DEAD_CLEAR_SECONDS,
    DEAD_SECONDS,
    MICROPHONE_DEAD,
    SOUND_CLIPPING,
    SoundCheck,
    SoundWarning,
    measure_block,
)

RATE = 48_000
BLOCK = 960  # 20 ms, as the microphones deliver
BLOCK_SECONDS = BLOCK / RATE


def dbfs(level: float) -> float:
    return 10 ** (level / 20)


def room(rng: np.random.Generator, rms_dbfs: float = -60.0) -> Callable[[int], np.ndarray]:
    """Gaussian noise at an RMS level: a quiet room is about -60 dBFS."""
    return lambda frames: rng.normal(0.0, dbfs(rms_dbfs), (frames, 1)).astype(np.float32)


def faint(rng: np.random.Generator, peak_dbfs: float) -> Callable[[int], np.ndarray]:
    """Noise that never peaks above `peak_dbfs`: a microphone that is on but deaf."""
    peak = dbfs(peak_dbfs)
    return lambda frames: rng.uniform(-peak, peak, (frames, 1)).astype(np.float32)


def constant(value: float) -> Callable[[int], np.ndarray]:
    return lambda frames: np.full((frames, 1), value, dtype=np.float32)


def speech(rng: np.random.Generator) -> Callable[[int], np.ndarray]:
    """A voice (a 150 Hz tone in syllables, peaking near -14 dBFS) over the room."""
    sample = 0

    def block(frames: int) -> np.ndarray:
        nonlocal sample
        t = (sample + np.arange(frames)) / RATE
        sample += frames
        syllables = 0.5 - 0.5 * np.cos(2 * np.pi * 4 * t)
        voice = 0.2 * syllables * np.sin(2 * np.pi * 150 * t)
        return (voice.reshape(-1, 1) + room(rng)(frames)).astype(np.float32)

    return block


def feed_for(
    check: SoundCheck, source: Callable[[int], np.ndarray], seconds: float, frames: int = BLOCK
) -> list[SoundWarning | None]:
    """Feed `seconds` of blocks; the warning after each block."""
    blocks = round(seconds * RATE / frames)
    return [check.feed(source(frames), RATE).warning for _ in range(blocks)]


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def check():
    return SoundCheck()


@pytest.mark.parametrize(
    "dead",
    [
        pytest.param(lambda rng: constant(0.0), id="digital-silence"),
        pytest.param(lambda rng: faint(rng, -95.0), id="noise-peaking-at-minus-95-dBFS"),
        pytest.param(lambda rng: room(rng, -106.0), id="hiss-at-minus-106-dBFS-rms"),
        pytest.param(lambda rng: constant(0.25), id="stuck-at-a-loud-value"),
        pytest.param(lambda rng: constant(-0.003), id="stuck-at-a-quiet-value"),
    ],
)
def test_a_dead_microphone_is_called_dead_after_five_seconds(check, rng, dead):
    source = dead(rng)
    before = feed_for(check, source, DEAD_SECONDS - BLOCK_SECONDS)
    assert before == [None] * len(before)
    assert feed_for(check, source, BLOCK_SECONDS) == [MICROPHONE_DEAD]
    assert feed_for(check, source, 30.0) == [MICROPHONE_DEAD] * 1500


def test_a_stuck_microphone_is_dead_however_loud_its_meter_reads(check):
    feed_for(check, constant(0.25), DEAD_SECONDS)
    reading = check.reading
    assert reading.warning == MICROPHONE_DEAD
    assert reading.level_dbfs == pytest.approx(-12.04, abs=0.01)


def test_a_quiet_room_never_warns(check, rng):
    warnings = feed_for(check, room(rng, -60.0), 120.0)
    assert set(warnings) == {None}
    assert check.reading.level_dbfs == pytest.approx(-60.0, abs=1.0)


def test_speech_with_a_five_second_pause_never_warns(check, rng):
    talk, pause = speech(rng), room(rng, -60.0)
    warnings = (
        feed_for(check, talk, 3.0)
        + feed_for(check, pause, 5.0)
        + feed_for(check, talk, 3.0)
        + feed_for(check, pause, 10.0)
    )
    assert set(warnings) == {None}


def test_one_block_whose_peak_reaches_minus_half_a_dBFS_clips_though_its_rms_is_low(
    check, rng
):
    second = [room(rng)(BLOCK) for _ in range(50)]
    second[20][500, 0] = -dbfs(-0.5)
    warnings = [check.feed(block, RATE).warning for block in second]
    assert warnings[:20] == [None] * 20 and warnings[20] == SOUND_CLIPPING
    assert check.reading.warning == SOUND_CLIPPING
    assert level_dbfs(np.concatenate(second)) < -45.0  # what a once-a-second RMS would see
    reading = SoundCheck().feed(second[20], RATE)
    assert reading.peak_dbfs == pytest.approx(-0.5, abs=0.01)
    assert reading.level_dbfs < -25.0


@pytest.mark.parametrize(("peak", "clips"), [(-1.0, True), (0.0, True), (-1.05, False)])
def test_clipping_starts_where_the_peak_reaches_minus_one_dBFS(check, rng, peak, clips):
    block = room(rng)(BLOCK)
    block[10, 0] = dbfs(peak)
    assert (check.feed(block, RATE).warning == SOUND_CLIPPING) is clips


def test_the_clipping_warning_goes_after_its_hold_and_a_new_clip_renews_it(check, rng):
    clipped = room(rng)(BLOCK)
    clipped[0, 0] = 1.0
    check.feed(clipped, RATE)
    held = feed_for(check, room(rng), CLIP_HOLD_SECONDS - 2 * BLOCK_SECONDS)
    assert set(held) == {SOUND_CLIPPING}
    check.feed(clipped, RATE)
    held = feed_for(check, room(rng), CLIP_HOLD_SECONDS - 2 * BLOCK_SECONDS)
    assert set(held) == {SOUND_CLIPPING}
    after = feed_for(check, room(rng), 2 * BLOCK_SECONDS)
    assert after[-1] is None


def test_the_dead_warning_goes_once_the_microphone_has_heard_for_a_second(check, rng):
    feed_for(check, constant(0.0), DEAD_SECONDS)
    assert check.reading.warning == MICROPHONE_DEAD
    one_knock = feed_for(check, room(rng), BLOCK_SECONDS)
    assert one_knock == [MICROPHONE_DEAD]
    assert feed_for(check, constant(0.0), 0.2)[-1] == MICROPHONE_DEAD  # it does not flicker
    hearing = feed_for(check, room(rng), DEAD_CLEAR_SECONDS)
    assert hearing[:-1] == [MICROPHONE_DEAD] * (len(hearing) - 1)
    assert hearing[-1] is None
    assert feed_for(check, constant(0.0), DEAD_SECONDS - BLOCK_SECONDS)[-1] is None


def test_dead_outranks_clipping_for_a_converter_stuck_at_full_scale(check):
    assert feed_for(check, constant(1.0), 1.0)[-1] == SOUND_CLIPPING
    assert feed_for(check, constant(1.0), DEAD_SECONDS)[-1] == MICROPHONE_DEAD


def test_time_is_counted_in_samples_whatever_the_block_size_and_rate(check):
    frames = 441  # 10 ms at 44.1 kHz
    blocks = round(DEAD_SECONDS * 44_100 / frames)
    warnings = [check.feed(np.zeros((frames, 2), np.float32), 44_100).warning
                for _ in range(blocks)]  # fmt: skip
    assert warnings[-2] is None and warnings[-1] == MICROPHONE_DEAD


def test_reset_forgets_what_was_heard(check):
    feed_for(check, constant(0.0), DEAD_SECONDS)
    check.reset()
    assert check.reading.warning is None and check.reading.level_dbfs is None
    assert feed_for(check, constant(0.0), DEAD_SECONDS - BLOCK_SECONDS)[-1] is None


def test_the_level_is_the_blocks_rms_as_the_meter_always_read_it(rng):
    for level in (-60.0, -20.0, -3.0):
        block = room(rng, level)(BLOCK)
        reading = SoundCheck().feed(block, RATE)
        assert reading.level_dbfs == pytest.approx(level_dbfs(block), abs=0.001)
    silent = SoundCheck().feed(np.zeros((BLOCK, 1), np.float32), RATE)
    assert silent.level_dbfs == level_dbfs(np.zeros(BLOCK)) == -120.0


def test_a_block_is_measured_without_being_copied_and_an_empty_one_hears_nothing():
    block = np.zeros((BLOCK, 1), np.float32)
    assert np.shares_memory(block.reshape(-1), block)
    empty = measure_block(np.zeros((0, 1), np.float32))
    assert empty.hears_nothing and not empty.clips


def test_the_warnings_are_said_in_plain_words_with_what_to_do():
    assert MICROPHONE_DEAD.as_dict() == {
        "code": "microphone_dead",
        "message": MICROPHONE_DEAD.message,
        "hint": MICROPHONE_DEAD.hint,
    }
    for warning in (MICROPHONE_DEAD, SOUND_CLIPPING):
        assert warning.message.endswith(".") and warning.hint.endswith(".")
        assert "dBFS" not in warning.message + warning.hint
