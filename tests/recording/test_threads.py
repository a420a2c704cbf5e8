"""Frames and sound from two threads at once: one writer thread muxes them all, in order."""

from __future__ import annotations

import errno
import threading

import pytest

from appliance.recording.errors import RecorderStopped, RecordingFailed
from appliance.recording.recorder import Recorder
from tests.support.waiting import wait_until

from .conftest import MemorySession
from .media import beep_onsets, decode
from .memory_part import MemoryPartWriter
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
    recorder.on_frame(frames[0])  # a capture thread racing the stop: counted, not raised
    assert recorder.input_dropped == 1
    with pytest.raises(RecorderStopped):
        recorder.add_mark(9, frames[0].capture_time)


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


class FailingPart(MemoryPartWriter):
    """A card that fails (full) on the n-th sync."""

    def __init__(self, fail_on_sync: int) -> None:
        super().__init__()
        self._fail_on_sync = fail_on_sync

    def sync(self, filler: bytes = b"") -> None:
        if len(self.sync_calls) + 1 == self._fail_on_sync:
            raise OSError(errno.ENOSPC, "No space left on device")
        super().sync(filler)


def test_a_failing_card_ends_the_writing_and_stop_reports_it():
    scene = Scene(seconds=8)
    session = MemorySession()
    failing = FailingPart(fail_on_sync=3)
    session.open_part = lambda: failing
    errors = []
    recorder = Recorder(session, small_config(), threaded=True, on_error=errors.append)
    for event in scene.events():
        (recorder.on_frame if hasattr(event, "keyframe") else recorder.on_audio)(event)
    with pytest.raises(RecordingFailed) as raised:
        recorder.stop()
    assert isinstance(raised.value.__cause__, OSError) and len(errors) == 1
    assert recorder.error is errors[0]
    assert recorder.input_dropped > 0, "input after the failure is dropped, nobody blocks"
    assert len(failing.sync_calls) == 2
    frames = decode(failing.durable_bytes()).frame_numbers
    assert frames == list(range(len(frames))) and len(frames) >= 10


def test_a_mark_before_the_first_picture_gets_its_clip_from_the_start():
    session = MemorySession()
    recorder = Recorder(session, small_config(post_roll=2.0), threaded=False)
    assert recorder.add_mark(1, 999.0) == 0.0
    for frame in Scene(seconds=4).frames():
        recorder.on_frame(frame)
    recorder.stop()
    assert decode(bytes(session.clips[1].data)).frame_numbers == list(range(20))


@pytest.mark.parametrize("when", ["at-once", "mid-clip"])
def test_a_clip_dropped_while_it_is_cut_is_removed_and_never_written_again(when):
    """Its mark was removed: the writer thread drops the clip in turn with the pictures, so
    the clip of a mark just made is opened first, and nothing reaches it once removed."""
    scene = Scene(seconds=10, flash_every=5)
    events = list(scene.events())
    session = MemorySession()
    recorder = Recorder(session, small_config(pre_roll=2.0, post_roll=4.0), threaded=True)
    marked_at = scene.start + 4.0
    marked = dropped = False
    for event in events:
        if not marked and event.capture_time >= marked_at:
            # The writer has the first picture (the media clock's origin) long before this
            # in real time; fed faster than real time, it needs a moment to catch up.
            assert wait_until(lambda: recorder.media_time >= 3.9, timeout=10)
            recorder.add_mark(1, marked_at)
            recorder.add_mark(2, marked_at)
            marked = True
            if when == "at-once":
                recorder.drop_clip(1)
                dropped = True
        if not dropped and event.capture_time >= marked_at + 1.0:
            recorder.drop_clip(1)
            dropped = True
        (recorder.on_frame if hasattr(event, "keyframe") else recorder.on_audio)(event)
    recorder.stop()
    assert recorder.clips[0].end_time == pytest.approx(8.0)  # a clip long enough to matter
    assert session.writes_after_removal == 0
    assert sorted(session.clips) == [2] and session.clips[2].closed
    assert [info.number for info in recorder.clips] == [2]
    assert list(session.removed_clips) == [1]
