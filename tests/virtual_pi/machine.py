"""The virtual Pi as the tests drive it: provisioning/virtual-pi.sh, one call per action.

Every action goes through the harness's own subcommands, so the tests exercise exactly
what a developer runs by hand. Times are generous: the guest runs under emulation on a
shared machine, 20-100 times slower than the host.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from appliance.vault.state import STATE_FILE
from appliance.vault.store import SESSIONS_DIR

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "provisioning" / "virtual-pi.sh"
APP = "/opt/vig-appliance/venv/bin/vig-appliance"
SERVICE = "vig-appliance.service"
SERVICE_USER = "vig-appliance"
DATA_DIR = "/var/lib/vig-appliance"
#: The gpio-sim chip's lines as the guest's sysfs shows them (line N is BCM GPIO N).
SIM_LINES = "/sys/devices/platform/gpio-sim.0/gpiochip0"


class GuestCommandFailed(AssertionError):
    """A command in the guest exited non-zero where the test needed it to succeed."""


@dataclass
class VirtualPi:
    cache: Path
    phases: list[str] = field(default_factory=list)

    @property
    def run_dir(self) -> Path:
        return self.cache / "run"

    def harness(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        env = dict(os.environ, VIG_VIRTUAL_PI_CACHE=str(self.cache))
        result = subprocess.run(
            [str(HARNESS), *args], capture_output=True, text=True, timeout=timeout, env=env
        )
        self.phases += [line for line in result.stderr.splitlines() if "] " in line]
        return result

    def up(self, *args: str) -> subprocess.CompletedProcess:
        result = self.harness("up", *args)
        assert result.returncode == 0, f"virtual-pi.sh up failed:\n{result.stderr[-4000:]}"
        return result

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run argv as root in the guest, whatever its status."""
        env = dict(os.environ, VIG_VIRTUAL_PI_CACHE=str(self.cache),
                   VIG_VIRTUAL_PI_EXEC_TIMEOUT=str(timeout))
        return subprocess.run(
            [str(HARNESS), "exec", "--", *argv], capture_output=True, text=True,
            timeout=timeout + 60, env=env,
        )

    def check(self, *argv: str, timeout: float = 300) -> str:
        """Run argv as root in the guest; its stdout, or a failure showing its output."""
        result = self.run(*argv, timeout=timeout)
        if result.returncode != 0:
            raise GuestCommandFailed(
                f"{' '.join(argv)} exited {result.returncode} in the guest:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def shell(self, script: str, timeout: float = 300) -> str:
        return self.check("bash", "-c", script, timeout=timeout)

    def app(self, *args: str, timeout: float = 300) -> str:
        """The appliance's command line in the guest, as the service user."""
        return self.check("runuser", "-u", SERVICE_USER, "--", APP, *args, timeout=timeout)

    def sessions(self) -> list[dict]:
        """Each session's state.json, read directly: a start of the app's CLI costs a
        minute under emulation, too slow to poll with. Marks are counted from its files."""
        out = self.shell(
            f"for f in {DATA_DIR}/{SESSIONS_DIR}/*/{STATE_FILE}; do "
            '[ -e "$f" ] && { cat "$f"; echo; echo ---; }; done; true'
        )
        states = [json.loads(part) for part in out.split("\n---\n") if part.strip()]
        for state in states:
            state["mark_count"] = sum(1 for f in state["files"] if f["kind"] == "mark")
        return states

    def service(self, *properties: str) -> dict[str, str]:
        out = self.check("systemctl", "show", SERVICE, *(f"--property={p}" for p in properties))
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, since: str = "") -> str:
        args = ["journalctl", "-u", SERVICE, "--no-pager", "-o", "cat"]
        if since:
            args += ["--since", since]
        return self.check(*args)

    def guest_time(self) -> str:
        return self.check("date", "+%Y-%m-%d %H:%M:%S").strip()

    def wait_until(self, what: str, predicate, timeout: float, interval: float = 2.0):
        """Poll the guest until predicate() is truthy; its value, or a failure naming what."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout:.0f} s")
            time.sleep(interval)

    # --- the GPIO lines, as the simulator's side sees them --------------------------------
    def set_line(self, line: int, level: int) -> None:
        """Drive the button's line as the outside world would: pulled low = pressed."""
        pull = "pull-up" if level else "pull-down"
        self.shell(f"echo {pull} > {SIM_LINES}/sim_gpio{line}/pull")

    def read_line(self, line: int) -> int:
        return int(self.check("cat", f"{SIM_LINES}/sim_gpio{line}/value").strip())
