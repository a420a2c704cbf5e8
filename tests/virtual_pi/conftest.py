"""One boot of the virtual Pi for the whole run, and a report of where the time went.

The guest is booted once (`virtual-pi.sh up --fresh`: a fresh disk from the cached image,
the real install.sh, READY=1) and shared by every test here, in file order: the tests that
only look come first, the power cut last. VIG_VIRTUAL_PI_KEEP=1 reuses a guest that is
already up and leaves it running (for writing tests; a fresh boot is the real run). At the
end the harness's phase times and each test's duration are printed, and the run fails if
the guest part took over 20 minutes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.tooling import require_tool

from .machine import SERVICE, VirtualPi

#: The guest part's budget (issue 10): it must stay well inside CI's 30 minutes.
GUEST_BUDGET_SECONDS = 20 * 60

HOST_TOOLS = [
    ("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"),
    ("mmdebstrap", "mmdebstrap"), ("nbdkit", "nbdkit"), ("mcopy", "mtools"),
    ("sfdisk", "fdisk"), ("mkfs.vfat", "dosfstools"), ("fsck.vfat", "dosfstools"),
    ("age", "age"), ("age-keygen", "age"),
]

_timings: dict[str, float] = {}
_started = time.monotonic()
_machine: list[VirtualPi] = []


@pytest.fixture(scope="session")
def vpi() -> VirtualPi:
    for command, package in HOST_TOOLS:
        require_tool(command, package)
    cache = Path(os.environ.get("VIG_VIRTUAL_PI_CACHE", Path.home() / ".cache/vig-virtual-pi"))
    machine = VirtualPi(cache)
    _machine.append(machine)
    if os.environ.get("VIG_VIRTUAL_PI_KEEP") == "1":
        # While writing a test: a guest already up is used as it is, and stays up.
        if machine.run("systemctl", "is-active", SERVICE, timeout=60).stdout.strip() != "active":
            machine.up()
        yield machine
        return
    machine.harness("down")
    machine.up("--fresh")
    yield machine
    machine.harness("down")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    started = time.monotonic()
    yield
    _timings[item.nodeid] = time.monotonic() - started


def pytest_terminal_summary(terminalreporter):
    if not _machine:
        return
    write = terminalreporter.write_line
    terminalreporter.section("virtual Pi: where the time went")
    for line in _machine[0].phases:
        write(line)
    for nodeid, seconds in _timings.items():
        write(f"{seconds:7.1f} s  {nodeid}")
    total = time.monotonic() - _started
    write(f"{total:7.1f} s  in all (budget {GUEST_BUDGET_SECONDS} s)")
    if total > GUEST_BUDGET_SECONDS:
        write(f"FAILED: the guest part took {total:.0f} s, over its "
              f"{GUEST_BUDGET_SECONDS} s budget")


def pytest_sessionfinish(session, exitstatus):
    if _machine and time.monotonic() - _started > GUEST_BUDGET_SECONDS:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
