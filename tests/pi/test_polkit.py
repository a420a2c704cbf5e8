"""The polkit rules, run in Duktape (the engine polkitd embeds) with polkit's own API shape.

polkitd calls every rule function with an Action (id, lookup(detail)) and a Subject (user,
groups); the first rule returning a Result wins, `null` means "not handled". The details
are the ones udisks2 sends for a drive (drive.removable, drive.removable.bus).
"""

from __future__ import annotations

import json
from pathlib import Path

import dukpy
import pytest

RULES = Path(__file__).resolve().parents[2] / "systemd" / "polkit" / "50-vig-appliance.rules"
USB_STICK = {"drive.removable": "true", "drive.removable.bus": "usb", "device": "/dev/sda1"}
SD_CARD = {"device": "/dev/mmcblk0p3"}
CARD_READER = {"drive.removable": "true", "drive.removable.bus": "sdio"}

POLKIT_HARNESS = """
var rules = [];
var polkit = {
    Result: {NO: "no", YES: "yes", AUTH_SELF: "auth_self", AUTH_SELF_KEEP: "auth_self_keep",
             AUTH_ADMIN: "auth_admin", AUTH_ADMIN_KEEP: "auth_admin_keep", NOT_HANDLED: null},
    addRule: function (rule) { rules.push(rule); },
    addAdminRule: function () {},
    log: function () {}
};
"""

DECIDE = """
var query = JSON.parse(dukpy.query);
var action = {id: query.action, lookup: function (key) { return query.details[key]; }};
var never = function () { return false; };
var subject = {user: query.user, groups: [], local: false, active: false,
               isInGroup: never, isInNetGroup: never};
var result = null;
for (var i = 0; i < rules.length && result === null; i++) {
    result = rules[i](action, subject);
    if (result === undefined) { result = null; }
}
result === null ? "not_handled" : result;
"""


def decide(action: str, user: str = "vig-appliance", details: dict | None = None) -> str:
    query = json.dumps({"action": action, "user": user, "details": details or {}})
    return dukpy.evaljs([POLKIT_HARNESS, RULES.read_text(), DECIDE], query=query)


@pytest.mark.parametrize("action", [
    "org.freedesktop.udisks2.filesystem-mount",
    "org.freedesktop.udisks2.filesystem-mount-other-seat",
    "org.freedesktop.udisks2.filesystem-unmount-others",
    "org.freedesktop.udisks2.power-off-drive-other-seat",
    "org.freedesktop.udisks2.eject-media-other-seat",
])
def test_service_user_may_handle_a_usb_stick(action: str) -> None:
    assert decide(action, details=USB_STICK) == "yes"
    assert decide(action, details=SD_CARD) == "no"
    assert decide(action, details=CARD_READER) == "no"


def test_service_user_may_set_the_time() -> None:
    assert decide("org.freedesktop.timedate1.set-time") == "yes"


@pytest.mark.parametrize("action", [
    "org.freedesktop.login1.power-off",  # systemctl poweroff, with no session of its own
    "org.freedesktop.login1.power-off-multiple-sessions",  # while someone is logged in
])
def test_service_user_may_power_the_machine_off(action: str) -> None:
    assert decide(action) == "yes"


@pytest.mark.parametrize("action", [
    "org.freedesktop.udisks2.filesystem-mount-system",
    "org.freedesktop.udisks2.modify-device",
    "org.freedesktop.udisks2.open-device",
    "org.freedesktop.timedate1.set-timezone",
    "org.freedesktop.login1.reboot",
    "org.freedesktop.login1.power-off-ignore-inhibit",
    "org.freedesktop.login1.suspend",
])
def test_service_user_gets_nothing_else(action: str) -> None:
    assert decide(action, details=USB_STICK) == "not_handled"


@pytest.mark.parametrize("user", ["pi", "root", "nobody", "vig-appliance2"])
def test_other_users_are_left_to_the_default_policy(user: str) -> None:
    assert decide("org.freedesktop.udisks2.filesystem-mount", user, USB_STICK) == "not_handled"
    assert decide("org.freedesktop.timedate1.set-time", user) == "not_handled"
    assert decide("org.freedesktop.login1.power-off", user) == "not_handled"
