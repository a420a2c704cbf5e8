"""The controller's states: only the moves in its table, and an `error` state that shows.

A recording that fails (the card, a source, the space reserve) is saved, and then the
controller stays in `error`, so the LEDs blink both fast and the panel keeps its banner,
until the next start that succeeds, an export or a clear.
"""

from __future__ import annotations

import threading
import time

import pytest

from appliance.config import GpioConfig
from appliance.controller import InvalidTransition
from appliance.controller.states import (
    ERROR,
    EXPORTING,
    IDLE,
    RECORDING,
    STATES,
    STOPPING,
    TRANSITIONS,
    check_transition,
)
from appliance.controls.leds import ERROR_SHOW_SECONDS, LedDriver, StatusLights
from appliance.controls.pins import mock_pin_factory
from appliance.vault.errors import NotEnoughSpace
from appliance.vault.lossy_filesystem import LossyFileSystem

from .rig import MIB, make_rig


def drain(subscription) -> list:
    events = []
    while (event := subscription.get(timeout=0.2)) is not None:
        events.append(event)
    return events


#: Room left on a card that has just filled: a 64 KiB chunk of video no longer fits, the
#: session's small bookkeeping files still do.
NEARLY_NOTHING = 32 * 1024


def card_fills_mid_session(tmp_path):
    """A rig whose card fills 3 s into a session: the recorder's writes fail with ENOSPC."""
    fs = LossyFileSystem(tmp_path / "data", free_bytes=4096 * MIB)
    rig = make_rig(tmp_path, fs=fs)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    rig.run_for(3)
    fs.set_free_bytes(NEARLY_NOTHING)
    rig.run_for(2)
    assert rig.controller.wait_idle(30)
    return rig, fs, session_id


def test_every_state_is_in_the_table_and_every_move_leads_to_a_state():
    assert {IDLE, RECORDING, STOPPING, EXPORTING, ERROR} == STATES
    assert all(targets <= STATES for targets in TRANSITIONS.values())


@pytest.mark.parametrize(
    ("current", "new"),
    [(IDLE, STOPPING), (IDLE, ERROR), (RECORDING, IDLE), (EXPORTING, RECORDING), ("lost", IDLE)],
)
def test_the_table_refuses_a_move_it_does_not_list(current, new):
    with pytest.raises(InvalidTransition, match=f"{current!r} to {new!r}"):
        check_transition(current, new)


def test_the_controller_refuses_an_illegal_move_and_stays_where_it_was(tmp_path):
    rig = make_rig(tmp_path)
    with rig.controller.events.subscribe() as events:
        with pytest.raises(InvalidTransition):
            rig.controller._set_state(STOPPING)
        assert drain(events) == []
    assert rig.controller.status()["state"] == IDLE


def test_a_card_that_fills_mid_session_enters_error_and_keeps_the_recording(tmp_path):
    fs = LossyFileSystem(tmp_path / "data", free_bytes=4096 * MIB)
    rig = make_rig(tmp_path, fs=fs)
    rig.controller.warm_up()
    rig.run_for(0.5)
    with rig.controller.events.subscribe(maxsize=4096) as events:
        session_id = rig.controller.start()
        rig.run_for(3)
        fs.set_free_bytes(NEARLY_NOTHING)
        rig.run_for(2)
        assert rig.controller.wait_idle(30)
        seen = drain(events)
    states = [e.fields["state"] for e in seen if e.type == "state"]
    assert states == [RECORDING, STOPPING, ERROR]
    status = rig.controller.status()
    assert status["state"] == ERROR
    assert status["error"]["code"] == "recording_failed"
    assert "SD card" in status["error"]["message"] and status["error"]["hint"]
    assert rig.vault.session(session_id).reason == "writing failed"


@pytest.mark.parametrize("source", ["camera", "microphone"])
def test_a_source_that_dies_enters_error(tmp_path, source):
    rig = make_rig(tmp_path)
    rig.controller.warm_up()
    rig.run_for(0.5)
    rig.controller.start()
    rig.run_for(2)
    getattr(rig, source).stop()
    rig.run_for(4)
    assert rig.controller.wait_idle(30)
    status = rig.controller.status()
    assert (status["state"], status["error"]["code"]) == (ERROR, "source_failed")


def test_a_stop_that_was_asked_for_ends_in_idle_with_no_error(tmp_path):
    rig = make_rig(tmp_path)
    rig.controller.warm_up()
    rig.run_for(0.5)
    rig.controller.start()
    rig.run_for(2)
    rig.stop()
    assert rig.controller.status()["state"] == IDLE
    assert rig.controller.status()["error"] is None


def test_the_leds_blink_their_error_pattern_for_as_long_as_the_error_state_lasts(tmp_path):
    factory = mock_pin_factory()
    lights = StatusLights(GpioConfig(), factory)
    fs = LossyFileSystem(tmp_path / "data", free_bytes=4096 * MIB)
    rig = make_rig(tmp_path, fs=fs)
    driver = LedDriver(rig.controller.events, lights, clock=rig.clock)
    stop_event = threading.Event()
    thread = driver.start(stop_event)
    try:
        rig.controller.warm_up()
        rig.run_for(0.5)
        rig.controller.start()
        rig.run_for(3)
        fs.set_free_bytes(NEARLY_NOTHING)
        rig.run_for(2)
        assert rig.controller.wait_idle(30)
        # Long past the few seconds a one-off error is shown: only the state keeps it up.
        rig.run_for(ERROR_SHOW_SECONDS * 2)
        assert rig.controller.status()["state"] == ERROR
        assert both_blinking(lights)
        rig.controller.clear_error()
        assert wait_for(lambda: lights.red.pin.state == 0)
        assert not both_blinking(lights)
    finally:
        stop_event.set()
        thread.join(2)
        lights.close()
        factory.close()


def both_blinking(lights, seconds: float = 0.5) -> bool:
    """True when both LEDs turned on and off at least twice within `seconds` (real time)."""
    lights.red.pin.clear_states()
    lights.green.pin.clear_states()
    time.sleep(seconds)
    return all(
        [s.state for s in pin.states].count(1) >= 2 and [s.state for s in pin.states].count(0) >= 2
        for pin in (lights.red.pin, lights.green.pin)
    )


def wait_for(predicate, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_the_next_start_that_succeeds_leaves_the_error_state(tmp_path):
    rig, fs, _ = card_fills_mid_session(tmp_path)
    fs.set_free_bytes(4096 * MIB)  # the practitioner made room
    session_id = rig.controller.start()
    status = rig.controller.status()
    assert (status["state"], status["session"], status["error"]) == (RECORDING, session_id, None)
    rig.run_for(2)
    rig.stop()
    assert rig.controller.status()["state"] == IDLE


def test_a_start_that_is_refused_stays_in_error(tmp_path):
    rig, _, _ = card_fills_mid_session(tmp_path)
    with pytest.raises(NotEnoughSpace):
        rig.controller.start()
    status = rig.controller.status()
    assert (status["state"], status["error"]["code"]) == (ERROR, "recording_failed")


def test_a_clear_leaves_the_error_state_and_forgets_the_error(tmp_path):
    rig, _, _ = card_fills_mid_session(tmp_path)
    with rig.controller.events.subscribe() as events:
        rig.controller.clear_error()
        seen = drain(events)
    assert [e.fields["state"] for e in seen if e.type == "state"] == [IDLE]
    status = rig.controller.status()
    assert (status["state"], status["error"]) == (IDLE, None)


def test_an_export_from_the_error_state_frees_the_card_and_ends_in_idle(tmp_path):
    rig, _, session_id = card_fills_mid_session(tmp_path)
    stick_dir = tmp_path / "usb" / "STICK"
    stick_dir.mkdir()
    [stick] = rig.stick_finder.sticks()
    with rig.controller.events.subscribe(maxsize=4096) as events:
        rig.controller.stick_inserted(stick)
        assert rig.controller.wait_idle(60)
        seen = drain(events)
    assert [e.fields["state"] for e in seen if e.type == "state"] == [EXPORTING, IDLE]
    assert rig.controller.status()["error"] is None
    assert (stick_dir / "VIG-EXPORT" / session_id / "MANIFEST.json").exists()
