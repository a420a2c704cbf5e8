"""Whether the device clock can be trusted, and setting it from the phone.

A Pi 4 has no clock battery and the field has no internet, so after power-on the clock
may be wrong. On a Pi, trust means systemd reports NTP synchronisation; setting goes
through systemd-timedated over D-Bus (`busctl`), which polkit allows for the service
user — the service itself keeps no capabilities. The simulated twin only records what
it was asked to do.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Protocol

from .errors import TimeNotSet

COMMAND_TIMEOUT_SECONDS = 5.0
TRUST_CACHE_SECONDS = 10.0


class DeviceClock(Protocol):
    """The wall clock as the panel sees it: `set_time` is True if the clock was set."""

    def is_trusted(self) -> bool: ...
    def set_time(self, epoch_seconds: float) -> bool: ...


class SystemDeviceClock:
    """The Pi's clock, via timedatectl (trust) and timedated's SetTime (set).

    Trust is asked at most every `TRUST_CACHE_SECONDS`: every status snapshot wants it,
    and each answer costs a process start."""

    def __init__(self) -> None:
        self._trusted: tuple[float, bool] | None = None

    def is_trusted(self) -> bool:
        now = time.monotonic()
        if self._trusted is None or now - self._trusted[0] > TRUST_CACHE_SECONDS:
            self._trusted = (now, self._ask_trusted())
        return self._trusted[1]

    def _ask_trusted(self) -> bool:
        timedatectl = shutil.which("timedatectl")
        if timedatectl is None:
            return False
        try:
            result = subprocess.run(
                [timedatectl, "show", "--property=NTPSynchronized", "--value"],
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return result.returncode == 0 and result.stdout.strip() == "yes"

    def set_time(self, epoch_seconds: float) -> bool:
        busctl = shutil.which("busctl")
        if busctl is None:
            raise TimeNotSet("busctl (systemd) is not installed, so the clock cannot be set.")
        usec = str(int(epoch_seconds * 1_000_000))
        command = [
            busctl, "call", "org.freedesktop.timedate1", "/org/freedesktop/timedate1",
            "org.freedesktop.timedate1", "SetTime", "xbb", usec, "false", "false",
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TimeNotSet(f"Setting the clock failed: {exc}") from exc
        if result.returncode != 0:
            raise TimeNotSet(f"The system refused to set the clock: {result.stderr.strip()}")
        self._trusted = None
        return True


@dataclass
class SimulatedDeviceClock:
    """Simulation: trust is a setting; setting the time is only recorded."""

    trusted: bool = False
    requests: list[tuple[float, float]] = field(default_factory=list)

    def is_trusted(self) -> bool:
        return self.trusted

    def set_time(self, epoch_seconds: float) -> bool:
        self.requests.append((epoch_seconds, time.time()))
        return False
