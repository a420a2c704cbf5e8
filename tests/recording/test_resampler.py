"""The resampler puts sound on the picture clock: 48 000 output samples per picture second.

The input is a 1 Hz sine of the TRUE time of each sample, so any output sample tells how
far off its time is: error = (phase difference) / 2π seconds.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from appliance.recording.resampler import PictureClockResampler
from appliance.sources.types import AudioBlock

RATE = 48_000
ORIGIN = 500.0


def blocks(seconds, skew_ppm, jitter=0.0, block=960, start=ORIGIN - 0.2, gap_at=None, gap=0.0,
           mic_rate=RATE):
    true_rate = mic_rate * (1 + skew_ppm * 1e-6)
    rng = np.random.default_rng(3)
    shift = 0.0
    for first in range(0, int(seconds * true_rate), block):
        t0 = start + first / true_rate + shift
        if gap_at is not None and shift == 0.0 and t0 - start >= gap_at:
            shift = gap
            t0 += gap
        times = t0 + np.arange(block) / true_rate
        samples = np.sin(2 * np.pi * times).astype(np.float32).reshape(-1, 1)
        stamp = t0 + rng.uniform(-jitter, jitter)
        yield AudioBlock(samples, float(stamp), mic_rate)


def timing_errors(runs, after: float = -1.0) -> np.ndarray:
    """Seconds each output sample is off its picture-clock time (sampled every 0.1 s)."""
    errors = []
    for first, samples in runs:
        index = np.arange(first, first + len(samples))[:: RATE // 10]
        got = samples[:: RATE // 10].astype(np.float64)
        times = ORIGIN + index / RATE
        keep = (times - ORIGIN >= after) & (np.abs(got) < 0.7)  # steep part of the sine
        expected_phase = 2 * np.pi * times[keep]
        got_phase = np.arcsin(np.clip(got[keep], -1, 1))
        # compare on the same branch of arcsin
        slope_sign = np.sign(np.cos(expected_phase))
        error = (got_phase - np.arcsin(np.sin(expected_phase))) * slope_sign / (2 * np.pi)
        errors.append(error)
    return np.concatenate(errors)


@pytest.mark.parametrize("skew_ppm", [-100.0, 0.0, 100.0])
def test_ten_minutes_of_a_skewed_jittery_card_stay_on_the_picture_clock(skew_ppm):
    resampler = PictureClockResampler(ORIGIN, RATE)
    runs = []
    for block in blocks(10 * 60, skew_ppm, jitter=0.002):
        runs += resampler.push(block)
    # the first block's stamp (±2 ms jitter) sets the phase; the loop then averages it out
    assert np.abs(timing_errors(runs)).max() < 0.003
    assert np.abs(timing_errors(runs, after=10.0)).max() < 0.0005
    assert resampler.rate_estimate == pytest.approx(RATE * (1 + skew_ppm * 1e-6), rel=5e-6)
    assert all(a[0] + len(a[1]) == b[0] for a, b in itertools.pairwise(runs)), "contiguous"
    first = runs[0][0]
    assert abs(first - round(-0.2 * RATE)) <= 0.002 * RATE  # where the first stamp says


def test_a_dropout_is_filled_with_silence_and_the_timing_holds():
    resampler = PictureClockResampler(ORIGIN, RATE)
    runs = []
    for block in blocks(30, 50.0, gap_at=10.0, gap=0.5):
        runs += resampler.push(block)
    silent = [run for run in runs if not run[1].any()]
    assert len(silent) == 1 and len(silent[0][1]) == pytest.approx(0.5 * RATE, abs=RATE * 0.03)
    errors = timing_errors([run for run in runs if run[1].any()])
    assert np.abs(errors).max() < 0.001


def test_a_44_1_khz_microphone_comes_out_at_48_khz_on_the_picture_clock():
    resampler = PictureClockResampler(ORIGIN, RATE)
    runs, delivered = [], 0
    for block in blocks(60, 80.0, jitter=0.001, mic_rate=44_100):
        runs += resampler.push(block)
        delivered += len(block.samples)
    assert np.abs(timing_errors(runs, after=10.0)).max() < 0.0005
    produced = sum(len(samples) for _, samples in runs)
    true_seconds = delivered / (44_100 * (1 + 80e-6))
    assert produced == pytest.approx(true_seconds * RATE, abs=0.002 * RATE)
