"""Temperature and throttling of a Pi (vcgencmd), with a simulated twin.

`get_throttled` is a bit field; the panel shows each set bit in plain words so a
practitioner knows to change the power supply or give the box air before a session.
Readings are cached because each `vcgencmd` call costs a process start.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

THROTTLE_BITS = {
    0: "The power supply is too weak right now: use the official supply.",
    1: "The processor is slowed down right now.",
    2: "The processor is throttled right now.",
    3: "The processor is hot and has been slowed: give the box air.",
    16: "The power supply was too weak at some point since start-up.",
    17: "The processor was slowed down at some point since start-up.",
    18: "The processor was throttled at some point since start-up.",
    19: "The processor got hot at some point since start-up.",
}
CACHE_SECONDS = 5.0
COMMAND_TIMEOUT_SECONDS = 2.0


class Health(Protocol):
    """The board's temperature and throttling, as `reading` lays them out."""

    def read(self) -> dict[str, Any]: ...


def describe_throttled(bits: int) -> list[str]:
    return [words for bit, words in THROTTLE_BITS.items() if bits & (1 << bit)]


def parse_temperature(text: str) -> float | None:
    match = re.search(r"temp=([0-9.]+)", text)
    return float(match.group(1)) if match else None


def parse_throttled(text: str) -> int | None:
    match = re.search(r"throttled=(0x[0-9a-fA-F]+)", text)
    return int(match.group(1), 16) if match else None


def reading(temperature_c: float | None, throttled: int | None) -> dict[str, Any]:
    return {
        "temperature_c": temperature_c,
        "throttled": throttled,
        "warnings": describe_throttled(throttled) if throttled is not None else [],
    }


class VcgencmdHealth:
    """Reads the Pi's firmware counters; on a machine without vcgencmd reports nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any]] | None = None

    def _run(self, *args: str) -> str:
        vcgencmd = shutil.which("vcgencmd")
        if vcgencmd is None:
            return ""
        try:
            result = subprocess.run(
                [vcgencmd, *args], capture_output=True, text=True,
                timeout=COMMAND_TIMEOUT_SECONDS, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return result.stdout if result.returncode == 0 else ""

    def read(self) -> dict[str, Any]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > CACHE_SECONDS:
                value = reading(
                    parse_temperature(self._run("measure_temp")),
                    parse_throttled(self._run("get_throttled")),
                )
                self._cached = (now, value)
            return self._cached[1]


@dataclass
class SimulatedHealth:
    temperature_c: float | None = 45.0
    throttled: int | None = 0

    def read(self) -> dict[str, Any]:
        return reading(self.temperature_c, self.throttled)
