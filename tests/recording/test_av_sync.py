"""Sound stays on the picture: a beep at a flash decodes within ±15 ms of the flash frame.

The check decodes the sound as players play it, back to back from the track's start, so
neither a wrong timestamp, the AAC priming nor a drifting sound card can hide.
"""

from __future__ import annotations

import pytest

from .media import beep_onsets, decode
from .recording_run import run_scene
from .scenario import Scene

TOLERANCE = 0.015


def flash_beep_offsets(data: bytes) -> list[float]:
    decoded = decode(data)
    onsets = beep_onsets(decoded)
    assert len(onsets) == len(decoded.flash_times) > 0
    return [onset - flash for onset, flash in zip(onsets, decoded.flash_times, strict=True)]


def test_beep_lands_on_the_flash(memory_session):
    run_scene(Scene(seconds=11), memory_session)
    offsets = flash_beep_offsets(bytes(memory_session.parts[0].data))
    assert all(abs(offset) <= TOLERANCE for offset in offsets), offsets


@pytest.mark.parametrize("skew_ppm", [-100.0, 100.0])
def test_a_skewed_sound_card_does_not_drift(memory_session, skew_ppm):
    """Three virtual minutes: ±100 ppm uncorrected would be 18 ms off by the end."""
    scene = Scene(seconds=181, flash_every=30, skew_ppm=skew_ppm, block=2048, jitter=0.002)
    recorder = run_scene(scene, memory_session)
    offsets = flash_beep_offsets(bytes(memory_session.parts[0].data))
    assert len(offsets) == 6
    assert all(abs(offset) <= 0.003 for offset in offsets), offsets
    sound_seconds = len(decode(bytes(memory_session.parts[0].data)).audio) / 48000
    assert abs(sound_seconds - recorder.media_time) < 0.05
