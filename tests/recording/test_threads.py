"""Frames and sound from two threads at once: one writer thread muxes them all, in order."""

from __future__ import annotations

import threading

import pytest

from appliance.recording.errors import RecorderStopped
from appliance.recording.recorder import Recorder

from .conftest import MemorySession
from .media import beep_onsets, decode
from .recording_run import small_config
from .scenario import Scene


def test_capture_threads_feed_one_writer_without_loss():
    scene = Scene(seconds=12, flash_every=5)
    frames, blocks = list(scene.frames()), list(scene.audio_blocks())
    session = MemorySession(part_seconds=5)
    recorder = Recorder(session, small_config(), threaded=True, queue_seconds=0.5)
    # the microphone starts first (its first blocks precede the first picture)
    early = [b for b in blocks if b.capture_time < scene.start]
    for block in early:
        recorder.on_audio(block)
    threads = [
        threading.Thread(target=lambda: [recorder.on_frame(f) for f in frames]),
        threading.Thread(target=lambda: [recorder.on_audio(b) for b in blocks[len(early):]]),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parts = recorder.stop()
    assert len(parts) == 3 and all(p.closed for p in parts)
    numbers = []
    for part in session.parts:
        decoded = decode(bytes(part.data))
        numbers += decoded.frame_numbers
    assert numbers == list(range(120))
    with pytest.raises(RecorderStopped):
        recorder.on_frame(frames[0])


def test_sound_arriving_before_the_first_picture_is_used():
    scene = Scene(seconds=6, flash_every=5, audio_lead=1.0)
    session = MemorySession()
    recorder = Recorder(session, small_config(), threaded=False)
    for block in scene.audio_blocks():
        if block.capture_time < scene.start:
            recorder.on_audio(block)
    for event in scene.events():
        if event.capture_time >= scene.start:
            (recorder.on_frame if hasattr(event, "keyframe") else recorder.on_audio)(event)
    recorder.stop()
    decoded = decode(bytes(session.parts[0].data))
    (onset,) = beep_onsets(decoded)
    assert abs(onset - decoded.flash_times[0]) <= 0.015


def test_a_recorder_that_never_saw_a_picture_stops_cleanly():
    session = MemorySession()
    recorder = Recorder(session, small_config(), threaded=True)
    assert recorder.add_mark(1, 123.0) == 0.0
    assert recorder.stop() == [] and recorder.stop() == []
    assert session.parts == [] and session.clips == {}
