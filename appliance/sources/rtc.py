"""Where the wall-clock time comes from: the Pi 5's battery-backed RTC, or just the system.

A Pi 4 has no real-time clock, so after a power cut in the field its time is whatever
fake-hwclock saved, and each session records that its wall clock is only "system" (the
panel then offers the phone's time). A Pi 5 with a battery on its RTC connector keeps real
time. The kernel's `name` attribute is "<driver> <device>" (drivers/rtc/sysfs.c prints
`dev_driver_string(parent)` and `dev_name(parent)`), so the Pi 5's reads e.g.
`rpi-rtc soc:rpi_rtc`: the clock is the Pi's own when the first word is the driver's name,
`rpi-rtc`. Without a battery the RTC restarts at 1970, which is not a time to trust, so it
then counts as absent.

The sysfs directory is passed in, so tests use a fake one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The driver name of the Pi 5's RTC (drivers/rtc/rtc-rpi.c), the first word of `name`.
PI_RTC_DRIVER = "rpi-rtc"
#: An RTC reading before this (2024-01-01 UTC) is an unset clock, not the time.
EARLIEST_VALID_TIME = 1_704_067_200


@dataclass(frozen=True)
class TimeSource:
    kind: str  # "rtc" | "system"
    detail: str


def read_rtc(rtc_dir: Path) -> tuple[str, int] | None:
    """(name, seconds since the epoch) of the RTC at `rtc_dir` (e.g. /sys/class/rtc/rtc0)."""
    try:
        name = (rtc_dir / "name").read_text(encoding="ascii").strip()
        since_epoch = int((rtc_dir / "since_epoch").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return name, since_epoch


def rtc_driver(name: str) -> str:
    """The driver part of an RTC's sysfs `name` ("<driver> <device>")."""
    words = name.split(maxsplit=1)
    return words[0] if words else ""


def detect_time_source(rtc_dir: Path) -> TimeSource:
    """ "rtc" when the Pi's own RTC holds a plausible time, else "system"."""
    reading = read_rtc(Path(rtc_dir))
    if reading is None:
        return TimeSource("system", f"no RTC at {rtc_dir}")
    name, since_epoch = reading
    if rtc_driver(name) != PI_RTC_DRIVER:
        return TimeSource("system", f"RTC {name!r} is not the Pi's own")
    if since_epoch < EARLIEST_VALID_TIME:
        return TimeSource("system", "the Pi's RTC is not set (no battery?)")
    return TimeSource("rtc", "the Pi's battery-backed RTC holds the time")
