"""The fake controller is held to the real one: what front-end tests prove with the fake
holds for the appliance.

Three checks, from the cheapest: mypy (which checks this module, see pyproject's
[tool.mypy] files) refuses `as_controller_api` if either class stops fitting
`ControllerApi`; the signatures of every protocol method are compared here, so even a
changed default or parameter name fails; and one script of commands runs against both,
comparing what they return and how they refuse.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from appliance.assembly import build_parts
from appliance.config import Config, RecordingConfig, StorageConfig
from appliance.controller import Controller, ControllerApi
from appliance.controller.consent import Consent
from appliance.sources import VirtualClock
from appliance.vault.age import X25519Identity

from .fake_controller import FakeController

PROTOCOL_METHODS = sorted(
    name
    for name, member in vars(ControllerApi).items()
    if not name.startswith("_") and inspect.isfunction(member)
)


def as_controller_api(controller: FakeController | Controller) -> ControllerApi:
    """Where mypy proves that both classes fit the protocol the front ends take."""
    return controller


def test_the_protocol_lists_every_command_the_front_ends_use():
    assert {
        "start", "mark", "retag_mark", "note_mark", "remove_mark", "stop", "delete_session",
        "status", "sessions",
    } <= set(PROTOCOL_METHODS)  # fmt: skip
    assert isinstance(inspect.getattr_static(ControllerApi, "events"), property)


@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_fake_and_real_controller_have_the_protocols_signatures(name):
    wanted = inspect.signature(getattr(ControllerApi, name))
    assert inspect.signature(getattr(Controller, name)) == wanted, f"Controller.{name}"
    assert inspect.signature(getattr(FakeController, name)) == wanted, f"FakeController.{name}"


def _real_controller(tmp_path: Path) -> Controller:
    """The controller as `run --simulate` builds it, on a virtual clock (nothing records in
    real time here: a stop is finished by `wait_idle`, the frames by `run_until`)."""
    config = Config(
        data_dir=str(tmp_path / "data"),
        recording=RecordingConfig(width=160, height=120, fps=5, bitrate=100_000),
        storage=StorageConfig(reserve_bytes=1024**2, start_headroom_minutes=0.0),
    )
    clock = VirtualClock()
    parts = build_parts(
        config, tmp_path / "data", simulate=True, clock=clock, usb_dir=tmp_path / "usb"
    )
    parts.vault.add_recipient(str(X25519Identity.generate().recipient), comment="test")
    return parts.controller


def _outcome(command: Callable[[], Any]) -> tuple[str, Any]:
    """What a command gave: the type of its result and the keys of a dict, or the error."""
    try:
        result = command()
    except Exception as exc:  # noqa: BLE001 - the refusal *is* what is compared
        return ("raised", type(exc))
    if isinstance(result, bool):
        return ("returned", result)
    if isinstance(result, dict):
        return ("dict", sorted(result))
    if isinstance(result, list):
        return ("list", [sorted(item) for item in result])
    return ("returned", type(result))


NO_DATE = Consent(filming=True, training=False, family_copy=True)
DATED = Consent(filming=True, training=True, family_copy=False, delete_by=date(2099, 1, 31))


def _script(controller: ControllerApi) -> list[tuple[str, tuple[str, Any]]]:
    """One visit's worth of commands, right and wrong, in the order a front end might send."""
    unknown = "20200101-000000-zzzz"

    def current() -> str:
        return controller.status()["session"]

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("stop while idle", controller.stop),
        ("mark while idle", controller.mark),
        ("delete unknown", lambda: controller.delete_session(unknown)),
        ("bad case code", lambda: controller.start("Jane Smith")),
        ("start", lambda: controller.start("K-0417")),
        ("start again", controller.start),
        ("bad tag", lambda: controller.mark(tag="being-nice")),
        ("mark", lambda: controller.mark(tag="guiding", note="turn-taking")),
        ("retag", lambda: controller.retag_mark(current(), 1, "guiding")),
        ("note", lambda: controller.note_mark(current(), 1, "after")),
        ("retag unknown mark", lambda: controller.retag_mark(current(), 9, None)),
        ("note not text", lambda: controller.note_mark(current(), 1, 7)),  # type: ignore[arg-type]
        ("mark number not a number", lambda: controller.remove_mark(current(), True)),
        ("retag another session", lambda: controller.retag_mark(unknown, 1, None)),
        ("mark to remove", controller.mark),
        ("remove", lambda: controller.remove_mark(controller.status()["session"], 2)),
        ("remove again", lambda: controller.remove_mark(controller.status()["session"], 2)),
        ("status while recording", controller.status),
        ("the marks listed", lambda: controller.status()["marks"]),
        ("recording", lambda: controller.status()["state"] == "recording"),
        ("delete the recording", lambda: controller.delete_session(controller.status()["session"])),
        ("phone time not a number", lambda: controller.set_wall_clock_from_phone(float("nan"))),
        ("consent without a date, clock not set",
         lambda: controller.record_consent(controller.status()["session"], NO_DATE)),
        ("consent for an unknown session", lambda: controller.record_consent(unknown, DATED)),
        ("consent at the start", lambda: controller.record_consent(
            controller.status()["session"], DATED)),
        ("stop", lambda: controller.stop(reason="stopped")),
        ("wait for idle", lambda: controller.wait_idle(5.0)),
        ("status when idle", controller.status),
        ("idle", lambda: controller.status()["state"] == "idle"),
        ("sessions", controller.sessions),
        ("consent replaced after the stop",
         lambda: controller.record_consent(controller.sessions()[0]["id"], DATED)),
        ("stop again", controller.stop),
        ("note after stop", lambda: controller.note_mark(controller.sessions()[0]["id"], 1, "x")),
    ]
    return [(what, _outcome(step)) for what, step in steps]


def test_fake_and_real_controller_answer_one_script_alike(tmp_path):
    real = _real_controller(tmp_path)
    try:
        from_real = _script(as_controller_api(real))
    finally:
        real.shutdown()
    from_fake = _script(as_controller_api(FakeController()))
    assert from_fake == from_real
