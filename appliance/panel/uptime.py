"""Time that a phone cannot set: seconds since boot, and which boot it is.

What the login keeps across a service restart (the guess budget, the live logins) must
never count wall-clock time: any logged-in phone may set the device clock, and the clock
is wrong after every power-on anyway. So each stamp is (boot id, CLOCK_MONOTONIC). Within
one boot the difference is real elapsed time; across a reboot it is unknown, and whoever
reads a stamp from another boot must assume no time passed (the guess budget earns
nothing while the device is off) or that its login is gone (a session ends with the boot).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Linux gives each boot a random id here.
BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")


def read_boot_id(path: Path = BOOT_ID_PATH) -> str:
    """This boot's id; without one, an id of this process, so that a restart counts as a
    new boot (no time credited, logins ended): the safe side."""
    try:
        return path.read_text().strip()
    except OSError:
        log.warning("no boot id at %s: every service start counts as a new boot", path)
        return f"process-{uuid.uuid4()}"


@dataclass
class Uptime:
    """Monotonic seconds within a boot, and the boot's id (both injected in tests)."""

    clock: Callable[[], float] = time.monotonic
    boot_id: Callable[[], str] = field(default_factory=lambda: _once(read_boot_id))

    def now(self) -> float:
        return self.clock()

    def stamp(self) -> dict[str, Any]:
        return {"boot_id": self.boot_id(), "uptime_s": self.clock()}

    def same_boot(self, stamp: Any) -> bool:
        return isinstance(stamp, dict) and stamp.get("boot_id") == self.boot_id()

    def seconds_since(self, stamp: Any) -> float | None:
        """Seconds since `stamp` if it was taken in this boot, else None (unknown)."""
        if not self.same_boot(stamp):
            return None
        taken = stamp.get("uptime_s")
        if not isinstance(taken, int | float):
            return None
        return max(0.0, self.clock() - float(taken))


def _once(read: Callable[[], str]) -> Callable[[], str]:
    """The boot id is read once: it cannot change while this process runs."""
    value = read()
    return lambda: value
