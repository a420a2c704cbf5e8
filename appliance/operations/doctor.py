"""`vig-appliance doctor`: is this appliance ready to film, and is it keeping its secrets?

One small function per item, each returning one `Finding` (ok, warn or fail, what was
seen, what to do). Each takes what it inspects as arguments (a camera, a path under /proc,
a command runner), so tests run every check on a simulated set-up; `cli/doctor_cmd.py`
passes the real ones. Findings never print personal data: no recipient comment, no case.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO, runtime_checkable

import numpy as np

from ..config import GpioConfig
from ..sources.errors import SourceError
from ..sources.level import level_dbfs
from ..sources.rtc import EARLIEST_VALID_TIME, detect_time_source
from ..vault.errors import VaultError

if TYPE_CHECKING:
    from gpiozero import Device  # gpiozero is untyped: mypy sees Any
    from gpiozero.pins import Factory

    from ..sources.types import AudioBlock, Camera, EncodedFrame, Microphone
    from ..vault import Vault

OK, WARN, FAIL = "ok", "warn", "fail"
#: Below this level (dBFS) over the listening time the microphone hears nothing at all.
SILENT_DBFS = -70.0
#: A sample at or above this magnitude is clipped.
CLIPPED = 0.999
#: File systems that lose everything at power-off, or cannot hold owner-only files.
VOLATILE_FS = frozenset({"tmpfs", "ramfs"})
NO_PERMISSIONS_FS = frozenset({"vfat", "exfat", "msdos"})
#: core_pattern values that make the kernel drop core dumps.
CORE_DROPPED = frozenset({"|/bin/false", "|/usr/bin/false", "|/bin/true", "|/usr/bin/true"})


@runtime_checkable
class CameraPresence(Protocol):
    """A real camera that can say it is there without being opened (picamera2's adapter)."""

    def check_present(self) -> int: ...


@runtime_checkable
class MicrophonePresence(Protocol):
    """A real microphone that can name its input device without opening it."""

    def input_device(self) -> int | None: ...


@dataclass(frozen=True)
class Finding:
    status: str
    what: str
    hint: str = ""

    def line(self) -> str:
        return f"{self.status:<4}  {self.what}  — {self.hint or 'nothing to do'}"


Wait = Callable[[float], object]
CommandRunner = Callable[[Sequence[str]], tuple[int, str]]


def run_command(argv: Sequence[str], timeout: float = 10.0) -> tuple[int, str]:
    """(exit status, stdout) of a system tool; FileNotFoundError if it is not installed."""
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout.strip()


def run_checks(checks: Iterable[Callable[[], Finding]], out: TextIO) -> int:
    """Print each finding as it comes; 1 if any failed, else 0."""
    failed = False
    for check in checks:
        finding = check()
        print(finding.line(), file=out, flush=True)
        failed |= finding.status == FAIL
    return 1 if failed else 0


# --- camera and microphone --------------------------------------------------------------
def check_camera_present(camera: CameraPresence) -> Finding:
    """The real camera, without opening it (the running service may hold it)."""
    try:
        count = camera.check_present()
    except SourceError as exc:
        return Finding(FAIL, "camera: not usable", exc.user_message())
    return Finding(OK, f"camera: {count} seen by libcamera")


def check_camera_live(camera: Camera, wait: Wait, seconds: float = 0.5) -> Finding:
    """Start the camera, count what it delivers, stop it."""
    frames: list[EncodedFrame] = []
    try:
        camera.start(frames.append)
    except SourceError as exc:
        return Finding(FAIL, "camera: does not start", exc.user_message())
    try:
        wait(seconds)
    finally:
        camera.stop()
    if not any(frame.keyframe for frame in frames):
        return Finding(FAIL, f"camera: no picture in {seconds:g} s", "Check the camera cable.")
    return Finding(OK, f"camera: {len(frames)} frames in {seconds:g} s, {camera.width}x"
                       f"{camera.height} at {camera.fps} fps")


def check_microphone(microphone: Microphone, wait: Wait, seconds: float = 2.0) -> Finding:
    """Listen for `seconds` and judge the level: silence and clipping are both suspect."""
    blocks: list[AudioBlock] = []
    try:
        microphone.start(blocks.append)
    except SourceError as exc:
        return Finding(FAIL, "microphone: does not start", exc.user_message())
    try:
        wait(seconds)
    finally:
        microphone.stop()
    if not blocks:
        return Finding(FAIL, f"microphone: no sound in {seconds:g} s", "Replug the microphone.")
    samples = np.concatenate([block.samples for block in blocks])
    level = level_dbfs(samples)
    what = f"microphone: {level:.0f} dBFS over {seconds:g} s" + _converted(microphone)
    overflows = getattr(microphone, "overflows", 0)  # only the real microphone counts them
    if overflows:
        return Finding(WARN, f"{what}, {overflows} overflow(s)",
                       "Sound was dropped: the Pi may be overloaded.")
    if level < SILENT_DBFS:
        return Finding(WARN, f"{what} (silent)", "Is the microphone muted or unplugged?")
    if float(np.max(np.abs(samples))) >= CLIPPED:
        return Finding(WARN, f"{what} (clipping)", "Move the microphone away or lower its gain.")
    return Finding(OK, what)


def _converted(microphone: Microphone) -> str:
    """What the adapter does to a card that refuses the format asked for, in words."""
    rate = getattr(microphone, "capture_rate", microphone.sample_rate)
    channels = getattr(microphone, "capture_channels", microphone.channels)
    if (rate, channels) == (microphone.sample_rate, microphone.channels):
        return ""
    return (f" (the card records {rate} Hz with {channels} channel(s): mixed down and "
            f"resampled to {microphone.sample_rate} Hz)")


def check_microphone_present(microphone: MicrophonePresence) -> Finding:
    """The real microphone while the service uses it: only that the device is there."""
    try:
        device = microphone.input_device()
    except SourceError as exc:
        return Finding(FAIL, "microphone: not found", exc.user_message())
    which = "the default input" if device is None else f"input device #{device}"
    return Finding(OK, f"microphone: {which} present (the running service is using it)")


# --- GPIO ------------------------------------------------------------------------------
def check_gpio(gpio: GpioConfig, pin_factory: Factory | None) -> Finding:
    """Claim the button and LED pins, then release them."""
    from gpiozero import LED, Button
    from gpiozero.exc import GPIOPinInUse, GPIOZeroError

    pins = f"button GPIO{gpio.button}, LEDs GPIO{gpio.red_led}/GPIO{gpio.green_led}"
    devices: list[Device] = []
    try:
        devices.append(Button(gpio.button, pin_factory=pin_factory))
        devices.append(LED(gpio.red_led, pin_factory=pin_factory))
        devices.append(LED(gpio.green_led, pin_factory=pin_factory))
    except GPIOPinInUse as exc:
        return Finding(FAIL, f"GPIO: {pins}: a pin is in use", str(exc))
    except GPIOZeroError as exc:
        return Finding(FAIL, f"GPIO: {pins}: unusable ({exc})", "On a laptop, use --simulate.")
    finally:
        for device in devices:
            device.close()
    if gpio.board_revision:
        return Finding(OK, f"GPIO: {pins} available",
                       f"gpio.board_revision = {gpio.board_revision!r} stands in for a Pi's "
                       "revision when the board reports none")
    return Finding(OK, f"GPIO: {pins} available")


# --- storage and keys ------------------------------------------------------------------
@dataclass(frozen=True)
class Mount:
    mount_point: str
    fstype: str
    options: str


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code in ("040", "011", "012", "134"):
        field = field.replace("\\" + code, chr(int(code, 8)))
    return field


def find_mount(mountinfo: Path, path: Path) -> Mount | None:
    """The mount holding `path`, from a /proc/<pid>/mountinfo file."""
    target = os.path.realpath(path)
    best: Mount | None = None
    for line in Path(mountinfo).read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or len(tail) < 3:
            continue
        point = _unescape(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.mount_point)):
            best = Mount(point, tail[0], fields[5])
    return best


def check_data_area(
    data_dir: Path, vault: Vault, mountinfo: Path, headroom_minutes: float
) -> Finding:
    if not data_dir.is_dir():
        return Finding(FAIL, f"data area {data_dir}: missing",
                       "Run the provisioning script, or pass --data-dir.")
    mount = find_mount(mountinfo, data_dir)
    space = vault.free_space()
    where = f"{mount.fstype} ({mount.options})" if mount else "unknown file system"
    what = (f"data area {data_dir}: {where}, {space.bytes / 2**30:.1f} GiB free, "
            f"about {space.minutes:.0f} min of recording")
    options = mount.options.split(",") if mount else []
    if "ro" in options or not os.access(data_dir, os.W_OK):
        return Finding(FAIL, what, "The data area is read-only: nothing can be recorded.")
    if mount and mount.fstype in VOLATILE_FS:
        return Finding(WARN, what, "This is memory: recordings would be lost at power-off.")
    if mount and mount.fstype in NO_PERMISSIONS_FS:
        return Finding(WARN, what, "This file system cannot keep files private to the service.")
    if space.minutes < headroom_minutes:
        return Finding(WARN, what, "Export sessions to a USB stick to make room.")
    return Finding(OK, what)


def check_recipients(vault: Vault) -> Finding:
    try:
        count = len(vault.recipient_entries())
    except VaultError as exc:
        return Finding(FAIL, "recipients: unreadable", exc.user_message())
    if count == 0:
        return Finding(FAIL, "recipients: none enrolled, so nobody could open a recording",
                       "Add the practitioner's public key: vig-appliance keys add age1...")
    return Finding(OK, f"recipients: {count} public key(s) enrolled")


# --- clock, network, service -----------------------------------------------------------
def check_clock(rtc_dir: Path, wall_clock: Callable[[], float]) -> Finding:
    source = detect_time_source(rtc_dir)
    if source.kind == "rtc":
        return Finding(OK, "clock: rtc", source.detail)
    if wall_clock() < EARLIEST_VALID_TIME:
        return Finding(WARN, "clock: system, and it is not set",
                       "Log in on the panel: it offers the phone's time.")
    return Finding(OK, f"clock: system ({source.detail})",
                   "Sessions record their time source; the panel offers the phone's time.")


def check_access_point(run: CommandRunner, nmcli: str, connection: str) -> Finding:
    try:
        status, state = run([nmcli, "-g", "GENERAL.STATE", "connection", "show", connection])
    except FileNotFoundError:
        return Finding(WARN, "access point: nmcli is not installed",
                       "The panel's Wi-Fi needs NetworkManager (run the provisioning script).")
    if status != 0:
        return Finding(FAIL, f"access point: no connection {connection!r}",
                       "Run the provisioning script to create it.")
    if state == "activated":
        return Finding(OK, f"access point: {connection} is up")
    return Finding(WARN, f"access point: {connection} is {state or 'not active'}",
                   f"nmcli connection up {connection}")


def check_panel_address(host: str, port: int) -> Finding:
    """In simulation there is no access point: the panel is on this machine."""
    return Finding(OK, f"panel: http://{host}:{port}/ (simulated, no access point)")


def service_state(run: CommandRunner, systemctl: str, unit: str) -> str:
    """`systemctl is-active` of the unit: active, inactive, failed, ... or "no systemctl"."""
    try:
        _, state = run([systemctl, "is-active", unit])
    except FileNotFoundError:
        return "no systemctl"
    return state or "unknown"


def check_service(state: str, unit: str) -> Finding:
    if state == "active":
        return Finding(OK, f"service: {unit} is running")
    if state == "failed":
        return Finding(FAIL, f"service: {unit} has failed", f"journalctl -u {unit}")
    if state == "no systemctl":
        return Finding(WARN, "service: systemctl is not available", "Not a provisioned Pi?")
    return Finding(WARN, f"service: {unit} is {state}", f"sudo systemctl start {unit}")


# --- privacy: nothing in memory may reach the card ---------------------------------------
def check_swap(swaps: Path) -> Finding:
    """Swap in compressed RAM (zram) is fine; a swap file or partition is on the card."""
    rows = [line.split() for line in Path(swaps).read_text().splitlines()[1:] if line.strip()]
    on_disk = [row[0] for row in rows if not os.path.basename(row[0]).startswith("zram")]
    if on_disk:
        return Finding(FAIL, f"swap: on {', '.join(on_disk)}",
                       "Video in memory could be paged to the SD card: remove dphys-swapfile "
                       "(the provisioning script does).")
    return Finding(OK, "swap: off" if not rows else "swap: in RAM only (zram)")


def check_core_dumps(core_pattern: Path, rlimit_core: Callable[[], tuple[int, int]]) -> Finding:
    """A core dump would write the process's memory (video, keys) to disk."""
    pattern = Path(core_pattern).read_text().strip()
    soft, _ = rlimit_core()
    if pattern in CORE_DROPPED:
        return Finding(OK, f"core dumps: dropped by the kernel ({pattern})")
    if soft == 0:
        return Finding(OK, f"core dumps: off (RLIMIT_CORE 0; pattern {pattern!r})",
                       "The service unit sets LimitCORE=0 too.")
    if pattern.startswith("|"):
        return Finding(WARN, f"core dumps: handed to {pattern.split()[0][1:]}",
                       "Set kernel.core_pattern=|/bin/false or Storage=none for systemd-coredump.")
    return Finding(FAIL, f"core dumps: written to files ({pattern!r}, RLIMIT_CORE {soft})",
                   "Set kernel.core_pattern=|/bin/false; the service needs LimitCORE=0.")
