"""Parts: each starts with an IDR, plays on its own, and they join frame-exactly."""

from __future__ import annotations

import io

import av

from appliance.recording.recorder import Recorder
from appliance.sources.annexb import (
    NAL_PPS,
    NAL_SPS,
    is_self_contained_idr,
    nal_type,
    split_nal_units,
)
from appliance.sources.types import EncodedFrame

from .conftest import MemorySession
from .media import beep_onsets, decode, top_level_boxes
from .memory_part import CHUNK_SIZE
from .recording_run import run_scene, small_config
from .scenario import Scene


def test_parts_rotate_at_the_first_keyframe_after_the_limit_and_join_exactly():
    session = MemorySession(part_seconds=20)
    scene = Scene(seconds=47, flash_every=5)
    recorder = run_scene(scene, session)
    assert len(session.parts) == 3
    assert [p.start_time for p in recorder.parts] == [0.0, 20.0, 40.0]
    numbers, sound_seconds = [], 0.0
    for index, part in enumerate(session.parts):
        assert part.closed
        data = bytes(part.data)
        kinds = [k for _, k, _ in top_level_boxes(data)]
        assert kinds[:2] == [b"ftyp", b"moov"]
        decoded = decode(data)
        assert decoded.frame_times[0] == 0.0, "every part plays from its own start"
        numbers += decoded.frame_numbers
        sound_seconds += len(decoded.audio) / decoded.audio_rate
        summary = recorder.parts[index]
        assert summary.frames == len(decoded.frame_numbers)
        with av.open(io.BytesIO(data)) as container:
            first = next(container.demux(video=0))
            assert first.is_keyframe
    assert numbers == list(range(scene.seconds * scene.fps)), "no frame missing or repeated"
    assert abs(sound_seconds - scene.seconds) < 0.05 * len(session.parts)  # priming, tails


def test_sound_stays_on_the_picture_in_every_part():
    """Within each part. (Its first 21 ms of sound are AAC priming, see muxer.py.)"""
    session = MemorySession(part_seconds=10)
    run_scene(Scene(seconds=26, flash_every=3), session)
    for part in session.parts:
        decoded = decode(bytes(part.data))
        video_end = decoded.frame_times[-1] + 0.1
        onsets = [t for t in beep_onsets(decoded) if t < video_end]
        assert len(onsets) == len(decoded.flash_times) >= 2
        for onset, flash in zip(onsets, decoded.flash_times, strict=True):
            assert abs(onset - flash) <= 0.015


def test_frames_before_the_first_keyframe_are_dropped():
    session = MemorySession()
    scene = Scene(seconds=3)
    frames = list(scene.frames())


    recorder = Recorder(session, small_config(), threaded=False)
    for frame in frames[3:]:  # join mid-GOP, as a camera started before the recorder does
        recorder.on_frame(frame)
    recorder.stop()
    assert recorder.frames_dropped == 7
    data = bytes(session.parts[0].data)
    assert decode(data).frame_numbers == list(range(10, 30))


def test_sync_every_second_pads_only_between_boxes():
    session = MemorySession()
    recorder = run_scene(Scene(seconds=8), session)
    part = session.parts[0]
    assert len(part.sync_calls) >= 6
    boxes = {offset: kind for offset, kind, _ in top_level_boxes(bytes(part.data))}
    for offset, filler in part.sync_calls:
        assert (offset + filler) % CHUNK_SIZE == 0
        if filler:
            assert boxes[offset] == b"free"
    fillers = sum(f for _, f in part.sync_calls)
    assert recorder.parts[0].padding_bytes in (fillers, fillers + 8)  # + a final free box


def test_each_first_packet_is_a_self_contained_idr():
    session = MemorySession(part_seconds=3)
    run_scene(Scene(seconds=7), session)
    for part in session.parts:
        with av.open(io.BytesIO(bytes(part.data))) as container:
            packet = next(container.demux(video=0))
            bsf = av.bitstream.BitStreamFilterContext(
                "h264_mp4toannexb", in_stream=container.streams.video[0]
            )
            annexb = b"".join(bytes(p) for p in bsf.filter(packet))
        assert is_self_contained_idr(annexb)


def test_a_keyframe_without_parameter_sets_does_not_start_a_part():
    """Only an IDR carrying SPS/PPS can open a file; others are passed through."""
    session = MemorySession(part_seconds=1.5)
    recorder = Recorder(session, small_config(), threaded=False)
    for frame in Scene(seconds=4).frames():
        if frame.keyframe and frame.capture_time == 1002.0:
            stripped = b"".join(
                b"\x00\x00\x00\x01" + unit for unit in split_nal_units(frame.data)
                if nal_type(unit) not in (NAL_SPS, NAL_PPS)
            )
            frame = EncodedFrame(stripped, frame.capture_time, True)
        recorder.on_frame(frame)
    recorder.stop()
    assert [p.start_time for p in recorder.parts] == [0.0, 3.0]
    numbers = [n for part in session.parts for n in decode(bytes(part.data)).frame_numbers]
    assert numbers == list(range(40))
