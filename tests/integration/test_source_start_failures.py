"""A microphone that cannot start: nothing is left running, the appliance stays up and says why.

The microphone is the real adapter over a fake sounddevice that fails as PortAudio does when
another program holds the device ("Error starting stream: Device unavailable").
"""

from __future__ import annotations

import pytest

from appliance.runtime import Runtime
from appliance.sd_notify import SystemdNotifier
from appliance.sources.adapter_errors import MicrophoneBusy
from appliance.sources.sounddevice_microphone import SounddeviceMicrophone
from tests.adapters.fake_sounddevice import make_sounddevice

from .rig import make_rig


def held_microphone_rig(tmp_path):
    sd = make_sounddevice(lambda: 1_764_000_000.0)
    sd.busy = True

    def microphone(clock):
        return SounddeviceMicrophone(
            clock, device_substring="usb", sounddevice_module=sd, clock_wait=0.0
        )

    return make_rig(tmp_path, microphone=microphone), sd


def test_a_start_the_microphone_refuses_stops_the_camera_again_and_says_why(tmp_path):
    rig, sd = held_microphone_rig(tmp_path)
    with pytest.raises(MicrophoneBusy):
        rig.controller.start()
    delivered = rig.camera.frames_delivered
    rig.clock.run_until(rig.clock.now() + 1.0)
    assert rig.camera.frames_delivered == delivered  # the camera was stopped again
    status = rig.controller.status()
    assert status["state"] == "idle" and status["error"]["code"] == "microphone_busy"
    assert rig.vault.list_sessions() == []
    sd.busy = False  # the other program let go: the next press records
    session_id = rig.controller.start()
    rig.run_for(1.0)
    rig.stop()
    assert [s.id for s in rig.vault.list_sessions()] == [session_id]


def test_warming_up_with_a_held_microphone_reports_it_and_keeps_the_watchdog_fed(tmp_path):
    rig, _ = held_microphone_rig(tmp_path)
    events = rig.controller.events.subscribe(maxsize=16)
    assert rig.controller.warm_up() is False
    assert events.get(timeout=0).fields["code"] == "microphone_busy"  # LEDs and panel
    assert rig.controller.healthy()  # the supervisor still pets the watchdog: no restart loop


def test_the_service_starts_and_reports_ready_with_a_held_microphone(tmp_path, monkeypatch):
    rig, _ = held_microphone_rig(tmp_path)
    from appliance.assembly import build_parts

    parts = build_parts(
        rig.config, rig.data_dir, simulate=True, clock=rig.clock, vault=rig.vault,
        sources=(rig.camera, rig.microphone), usb_dir=tmp_path / "usb",
    )
    ready = []
    notifier = SystemdNotifier({})
    monkeypatch.setattr(notifier, "ready", lambda: ready.append(True))
    runtime = Runtime(parts, host="127.0.0.1", port=0, notifier=notifier)
    runtime.start()  # used to raise MicrophoneBusy: the service exited and systemd gave up
    try:
        assert ready == [True]
        assert parts.controller.status()["error"]["code"] == "microphone_busy"
    finally:
        runtime.stop()
