"""The controller hears the microphone whenever the sources are warm: the level flows before
Start without recording anything, and a dead or clipping microphone is said in words,
before a session, at its start and during it (simulated microphone, virtual clock)."""

from __future__ import annotations

import pytest

from appliance.sources.sound_check import DEAD_SECONDS, MICROPHONE_DEAD, SOUND_CLIPPING
from appliance.sources.sounddevice_microphone import SounddeviceMicrophone
from appliance.sources.synthetic_microphone import CLIPPING, ROOM, SILENCE, SPEECH, STUCK
from tests.adapters.fake_sounddevice import make_sounddevice

from .rig import make_rig

DEAD = MICROPHONE_DEAD.code
CLIPS = SOUND_CLIPPING.code


@pytest.fixture
def rig(tmp_path):
    rig = make_rig(tmp_path, width=160, height=120, fps=5, bitrate=100_000)
    yield rig
    rig.controller.shutdown()


def drain(subscription) -> list:
    events = []
    while (event := subscription.get(timeout=0)) is not None:
        events.append(event)
    return events


def sound_events(subscription) -> list[dict]:
    return [e.fields for e in drain(subscription) if e.type == "sound"]


def warning_code(fields: dict, key: str = "warning") -> str | None:
    return fields[key]["code"] if fields[key] else None


def test_the_level_flows_before_start_and_nothing_is_recorded(rig):
    with rig.controller.events.subscribe() as events:
        rig.controller.warm_up()
        rig.run_for(10.0)
        heard = sound_events(events)
    assert 9 <= len(heard) <= 11  # one a poll: once a second
    assert all(fields["audio_dbfs"] == pytest.approx(-60.0, abs=3.0) for fields in heard)
    assert all(fields["warning"] is None for fields in heard)
    status = rig.controller.status()
    assert status["state"] == "idle"
    assert status["audio_dbfs"] == pytest.approx(-60.0, abs=3.0)
    assert status["sound_warning"] is None
    assert rig.vault.list_sessions() == []
    assert not (rig.data_dir / "sessions").exists() or not any(
        (rig.data_dir / "sessions").iterdir()
    )


def test_cold_sources_show_no_level_and_no_warning(rig):
    rig.controller.poll()
    status = rig.controller.status()
    assert (status["audio_dbfs"], status["sound_warning"]) == (None, None)


def test_a_dead_microphone_warns_before_start_and_at_start_at_once(rig):
    rig.microphone.hear(SILENCE)
    rig.controller.warm_up()
    rig.run_for(DEAD_SECONDS - 1.0)
    assert rig.controller.status()["sound_warning"] is None
    with rig.controller.events.subscribe() as events:
        rig.run_for(2.0)
        assert warning_code(sound_events(events)[-1]) == DEAD
        assert rig.controller.status()["sound_warning"] == MICROPHONE_DEAD.as_dict()

        rig.controller.start()  # no time passes: the warning is there with the start
        at_start = drain(events)
    status = rig.controller.status()
    assert status["state"] == "recording"
    assert warning_code(status, "sound_warning") == DEAD
    types = [e.type for e in at_start]
    assert types.index("sound") > types.index("session")
    (sound,) = [e.fields for e in at_start if e.type == "sound"]
    assert warning_code(sound) == DEAD
    rig.stop()


def test_a_stuck_microphone_is_dead_though_its_level_reads_loud(rig):
    rig.microphone.hear(STUCK)
    rig.controller.warm_up()
    rig.run_for(DEAD_SECONDS + 1.0)
    status = rig.controller.status()
    assert warning_code(status, "sound_warning") == DEAD
    assert status["audio_dbfs"] > -20.0


def test_clipping_warns_during_a_session_and_goes_when_it_stops(rig):
    rig.controller.warm_up()
    rig.controller.start()
    with rig.controller.events.subscribe() as events:
        rig.run_for(2.0)
        assert {warning_code(f) for f in sound_events(events)} == {None}
        rig.microphone.hear(CLIPPING)
        rig.run_for(8.0)  # the speech talks 3 s of every 8
        ticks = [e.fields for e in drain(events)]
        assert CLIPS in {warning_code(f) for f in ticks if "warning" in f}
        assert any(f.get("audio_dbfs") is not None for f in ticks if "elapsed" in f)
        rig.microphone.hear(ROOM)
        rig.run_for(5.0)
        assert warning_code(sound_events(events)[-1]) is None
    assert rig.controller.status()["sound_warning"] is None
    rig.stop()


def test_a_quiet_room_and_speech_with_pauses_never_warn_in_a_session(rig):
    rig.controller.warm_up()
    rig.controller.start()
    with rig.controller.events.subscribe() as events:
        rig.run_for(10.0)
        rig.microphone.hear(SPEECH)
        rig.run_for(20.0)  # two 5 s pauses
        heard = sound_events(events)
    assert len(heard) >= 29
    assert {warning_code(f) for f in heard} == {None}
    rig.stop()


def test_a_microphone_that_comes_back_clears_the_warning(rig):
    rig.microphone.hear(SILENCE)
    rig.controller.warm_up()
    rig.run_for(DEAD_SECONDS + 1.0)
    assert warning_code(rig.controller.status(), "sound_warning") == DEAD
    rig.microphone.hear(ROOM)
    rig.run_for(2.0)
    assert rig.controller.status()["sound_warning"] is None


def test_the_portaudio_callback_feeds_the_check_a_muted_usb_microphone_is_dead(tmp_path):
    """The real adapter over a fake sounddevice: each block PortAudio hands the callback
    reaches the check, before any session (blocks of one value: 0.0, a muted card)."""
    sd = make_sounddevice(lambda: 1_764_000_000.0)

    def microphone(clock):
        return SounddeviceMicrophone(
            clock, device_substring="usb", sounddevice_module=sd, clock_wait=0.0
        )

    rig = make_rig(tmp_path, microphone=microphone)
    try:
        assert rig.controller.warm_up()
        (stream,) = sd.streams
        blocks = round(DEAD_SECONDS * stream.samplerate / stream.blocksize)
        for _ in range(blocks - 1):
            stream.deliver(0.0)
        rig.controller.poll()
        assert rig.controller.status()["sound_warning"] is None
        stream.deliver(0.0)
        rig.controller.poll()
        status = rig.controller.status()
        assert warning_code(status, "sound_warning") == DEAD
        assert status["audio_dbfs"] == -120.0
    finally:
        rig.controller.shutdown()
