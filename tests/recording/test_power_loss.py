"""A power cut during a recording: what survives decrypts to playable media that ends at
most 2 s before the cut (fragments ≤ 1 s, made durable every second)."""

from __future__ import annotations

import io

import pytest

from appliance.recording.recorder import Recorder
from appliance.sources.types import EncodedFrame
from appliance.vault import LossyFileSystem
from appliance.vault.age import salvage
from tests.support.clocks import WALL_START
from tests.support.vaults import make_enrolled_vault

from .media import decode, top_level_boxes
from .recording_run import small_config
from .scenario import Scene

GIB = 1024**3


@pytest.mark.parametrize("cut_after", [3.05, 5.55, 7.95])
def test_what_survives_a_power_cut_plays_up_to_two_seconds_before_it(tmp_path, cut_after):
    disk = LossyFileSystem(tmp_path / "disk", free_bytes=64 * GIB)
    vault, identity = make_enrolled_vault(
        disk.root / "data", fs=disk, wall_clock=lambda: WALL_START
    )
    session = vault.create_session({"case_code": "C-cut"})
    recorder = Recorder(session, small_config(), threaded=False)
    scene = Scene(seconds=10)
    for event in scene.events():
        if event.capture_time - scene.start > cut_after:
            break
        (recorder.on_frame if isinstance(event, EncodedFrame) else recorder.on_audio)(event)
    disk.power_cut()

    part_path = disk.root / "data" / "sessions" / session.id / "part-0001.mp4.age"
    plaintext = io.BytesIO()
    report = salvage(io.BytesIO(part_path.read_bytes()), [identity], plaintext)
    assert not report.complete, "the part was never closed: it is interrupted"
    data = plaintext.getvalue()
    boxes = top_level_boxes(data)  # ends exactly at a box boundary: the sync's free box
    assert boxes[-1][1] == b"free"
    decoded = decode(data)
    frames = decoded.frame_numbers
    assert frames == list(range(len(frames))), "every surviving frame, in order"
    last_time = frames[-1] / scene.fps
    assert cut_after - last_time <= 2.0
    assert len(decoded.audio) / decoded.audio_rate >= last_time - 1.0


@pytest.mark.parametrize("cut_after", [4.05, 6.55, 8.95])
def test_a_silent_microphone_does_not_hold_pictures_back(memory_session, cut_after):
    """No sound at all: silence stands in, so fragments still land and get synced."""
    scene = Scene(seconds=10)
    recorder = Recorder(memory_session, small_config(), threaded=False)
    for frame in scene.frames():
        if frame.capture_time - scene.start > cut_after:
            break
        recorder.on_frame(frame)
    decoded = decode(memory_session.parts[0].durable_bytes())
    assert cut_after - decoded.frame_numbers[-1] / scene.fps <= 2.0
    assert recorder.audio_filled_seconds > 0
    assert not decoded.audio.any(), "the stand-in sound is silence"
