"""Powering off from the button: a refusal by the system is raised, shown, and survived."""

from __future__ import annotations

import subprocess
import threading

import pytest

from appliance.assembly import Parts, build_service_parts
from appliance.controls.button import ButtonControl
from appliance.controls.power_off import PowerOffRefused, power_off_system
from tests.integration.rig import make_rig
from tests.support.gpio import FAST_GPIO
from tests.support.waiting import wait_until

#: What systemctl prints when polkit refuses logind's PowerOff (auth_admin_keep, no agent).
REFUSED = "Call to PowerOff failed: Interactive authentication required.\n"


def systemctl(returncode: int, stderr: str = ""):
    calls = []

    def run(args, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess(args, returncode, "", stderr)

    return run, calls


def test_an_accepted_power_off_returns():
    run, calls = systemctl(0)
    power_off_system(run)
    assert calls == [["systemctl", "poweroff"]]


def test_a_refused_power_off_says_what_the_system_said():
    run, _ = systemctl(1, REFUSED)
    with pytest.raises(PowerOffRefused, match="Interactive authentication required"):
        power_off_system(run)
    run, _ = systemctl(1)
    with pytest.raises(PowerOffRefused, match="status 1"):
        power_off_system(run)


def test_no_systemctl_is_a_refusal_too():
    def run(args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "systemctl")

    with pytest.raises(PowerOffRefused, match="No such file"):
        power_off_system(run)


def test_the_appliance_keeps_running_and_reports_a_refused_power_off(tmp_path, monkeypatch):
    rig = make_rig(tmp_path)
    parts = Parts(  # simulate=False: the Pi's shutdown action, not the simulation's
        rig.config, rig.data_dir, rig.clock, rig.vault, rig.camera, rig.microphone,
        rig.controller, False, rig.stick_finder,
    )
    run, _ = systemctl(1, REFUSED)
    monkeypatch.setattr("appliance.assembly.power_off_system", lambda: power_off_system(run))
    monkeypatch.setattr("appliance.assembly.board_pin_factory", lambda gpio: None)  # no lgpio here
    stop = threading.Event()
    service = build_service_parts(parts, stop)
    events = rig.controller.events.subscribe(maxsize=8)
    with pytest.raises(PowerOffRefused):
        service.shutdown()
    assert not stop.is_set()  # still recording-ready, not half stopped
    assert rig.controller.status()["error"]["code"] == "power_off_refused"  # the panel
    assert events.get(timeout=0).fields["code"] == "power_off_refused"  # the LEDs


def test_a_refused_shutdown_blinks_the_leds_and_leaves_the_button_working(
    controller, pin_factory, clock
):
    refusals = []

    def shutdown():
        raise PowerOffRefused("The system refused to power off: for the test")

    button = ButtonControl(
        controller, FAST_GPIO, pin_factory, clock=clock, shutdown=shutdown,
        on_refused=refusals.append,
    )
    try:
        button.pin.drive_low()
        assert wait_until(lambda: len(refusals) == 1, timeout=FAST_GPIO.shutdown_hold_seconds + 2)
        button.pin.drive_high()
        assert isinstance(refusals[0], PowerOffRefused)
        button.pin.drive_low()
        button.pin.drive_high()
        assert wait_until(lambda: controller.state == "recording")  # the next press starts
    finally:
        button.close()
