"""Who may try a PIN now, and what each try is counted against.

Three ways in, tried in this order:
1. a phone that logged in before (`remembered_devices`): counted against that phone only
   (a per-minute limit, and `MAX_FAILURES` in a row forget it);
2. the button's login window (`login_window`), while open: counted against the window;
3. anyone else: counted against their address (per-minute lockouts) and against the
   global guess budget (`guess_budget`), which every address shares and a restart keeps.
A right PIN gives back what it drew. `admit` runs before the PIN is checked, `settle`
after; the view in `auth` does the checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..vault.filesystem import FileSystem
from .guess_budget import BUDGET_FILE_NAME, GuessBudget
from .login_limiter import LoginLimiter
from .login_sessions import SESSIONS_FILE_NAME, LoginSessions
from .login_window import LoginWindow
from .remembered_devices import DEVICES_FILE_NAME, RememberedDevices
from .uptime import Uptime

#: What a try is counted against (`Admission.gate`).
GATE_DEVICE = "remembered_device"
GATE_WINDOW = "login_window"
GATE_BUDGET = "guess_budget"
#: Why a try was refused before its PIN was checked (`Admission.refused`).
REFUSED_LOCKED = "locked"
REFUSED_PAUSED = "paused"


def login_files(data_dir: Path) -> tuple[Path, Path]:
    """The files holding login secrets (remembered phones, live logins): a factory reset
    and set-pin remove them. The guess budget holds no secret and is kept."""
    return Path(data_dir) / DEVICES_FILE_NAME, Path(data_dir) / SESSIONS_FILE_NAME


def forget_phones(data_dir: Path, fs: FileSystem | None = None) -> None:
    """After a new PIN: no phone is remembered and no login lives on."""
    devices_file, sessions_file = login_files(data_dir)
    RememberedDevices(devices_file, fs=fs).forget_all()
    sessions_file.unlink(missing_ok=True)


@dataclass(frozen=True)
class Admission:
    """`key` is the remembered phone's id if `by_device`, else the client's address."""

    key: str
    by_device: bool
    gate: str | None
    refused: str | None = None
    wait_s: float = 0.0


@dataclass
class LoginGuard:
    addresses: LoginLimiter
    device_rate: LoginLimiter
    budget: GuessBudget
    devices: RememberedDevices
    sessions: LoginSessions
    window: LoginWindow

    def admit(self, client: str, device_id: str | None) -> Admission:
        """Whether a try may reach the PIN check, and what it is counted against."""
        if device_id is not None:
            wait = self.device_rate.locked_for(device_id)
            if wait > 0:
                return Admission(device_id, True, None, REFUSED_LOCKED, wait)
            return Admission(device_id, True, GATE_DEVICE)
        wait = self.addresses.locked_for(client)
        if wait > 0:
            return Admission(client, False, None, REFUSED_LOCKED, wait)
        if self.window.take_attempt():
            return Admission(client, False, GATE_WINDOW)
        if self.budget.take():
            return Admission(client, False, GATE_BUDGET)
        wait = self.budget.seconds_until_next()
        return Admission(client, False, None, REFUSED_PAUSED, wait)

    def first_refusal(self, admission: Admission) -> bool:
        """True once per lockout or empty spell, so refusals are audited once, not each."""
        if admission.refused == REFUSED_PAUSED:
            return self.budget.first_refusal()
        limiter = self.device_rate if admission.by_device else self.addresses
        return limiter.first_refusal(admission.key)

    def settle(self, admission: Admission, right: bool) -> float:
        """Count the try's outcome; the lockout it started, in seconds (0 if none)."""
        if admission.gate == GATE_DEVICE:
            if right:
                self.device_rate.succeeded(admission.key)
                self.devices.succeeded(admission.key)
                return 0.0
            self.devices.failed(admission.key)
            return self.device_rate.failed(admission.key)
        if not right:
            return self.addresses.failed(admission.key)
        self.addresses.succeeded(admission.key)
        if admission.gate == GATE_BUDGET:
            self.budget.give_back()
        elif admission.gate == GATE_WINDOW:
            self.window.close()
        return 0.0


def build_login_guard(
    data_dir: Path,
    *,
    failures_per_minute: int,
    uptime: Uptime | None = None,
    window: LoginWindow | None = None,
    fs: FileSystem | None = None,
) -> LoginGuard:
    """The guard over the login files in `data_dir`; `window` is shared with the button."""
    uptime = uptime or Uptime()
    devices_file, sessions_file = login_files(data_dir)
    return LoginGuard(
        addresses=LoginLimiter(failures_per_minute, uptime.now),
        device_rate=LoginLimiter(failures_per_minute, uptime.now),
        budget=GuessBudget(Path(data_dir) / BUDGET_FILE_NAME, uptime, fs=fs),
        devices=RememberedDevices(devices_file, fs=fs),
        sessions=LoginSessions(sessions_file, uptime, fs=fs),
        window=window or LoginWindow(uptime),
    )
