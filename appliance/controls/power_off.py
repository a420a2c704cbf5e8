"""Powering the Pi off from the button: `systemctl poweroff`, as the service user.

systemctl asks systemd-logind over D-Bus (PowerOff), and logind asks polkit for
`org.freedesktop.login1.power-off`, or `...power-off-multiple-sessions` while someone else is
logged in. For a user with no login session, as the service's is, logind's default is
auth_admin_keep, which no one can answer: refused. The project's polkit rule
(systemd/polkit/50-vig-appliance.rules) grants both to the service user.

A refusal is raised, never ignored: the appliance keeps running, and the button shows it
(the LEDs' error pattern) and the panel's status names it.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from typing import Any

from ..errors import ApplianceError

_logger = logging.getLogger(__name__)

POWER_OFF_COMMAND = ("systemctl", "poweroff")
#: systemctl returns once logind has queued the power-off job; it never takes this long.
POWER_OFF_TIMEOUT = 30.0


class PowerOffRefused(ApplianceError, PermissionError):
    """The system did not power off when the button asked it to."""

    code = "power_off_refused"
    hint = (
        "Run provisioning/install.sh again: it installs the polkit rule that lets the "
        "appliance power off. Until then, power it off with `sudo systemctl poweroff`."
    )


def power_off_system(run: Callable[..., Any] = subprocess.run) -> None:
    """Ask systemd to power the machine off; `PowerOffRefused` if it does not agree."""
    try:
        done = run(
            list(POWER_OFF_COMMAND),
            capture_output=True,
            text=True,
            timeout=POWER_OFF_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PowerOffRefused(f"The appliance could not be powered off: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout or "").strip()
        raise PowerOffRefused(
            "The system refused to power off: "
            + (said or f"systemctl poweroff exited with status {done.returncode}")
        )
    _logger.info("power-off accepted by the system")
