"""The service under its real unit: READY=1, its hardening scored, the watchdog for real."""

from __future__ import annotations

import re

from .machine import SERVICE, VirtualPi

#: `systemd-analyze security` scores 0 (locked down) to 10 (exposed).
MAX_EXPOSURE = 2.5


def test_the_service_runs_under_the_real_unit_and_sent_ready(vpi: VirtualPi):
    unit = vpi.service("Type", "ActiveState", "SubState", "User", "NotifyAccess", "WatchdogUSec")
    assert unit["Type"] == "notify"
    # A notify unit is "active" only once the app has sent READY=1.
    assert (unit["ActiveState"], unit["SubState"]) == ("active", "running"), unit
    assert unit["User"] == "vig-appliance"
    assert unit["WatchdogUSec"] == "20s"


def test_systemd_analyze_security_scores_the_running_unit_at_most_2_5(vpi: VirtualPi):
    out = vpi.check("systemd-analyze", "security", "--no-pager", SERVICE)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    assert found, out[-2000:]
    assert float(found.group(1)) <= MAX_EXPOSURE, out


def test_no_traceback_in_the_journal_since_boot(vpi: VirtualPi):
    journal = vpi.check("journalctl", "-b", "-u", SERVICE, "--no-pager", "-o", "cat")
    assert "Traceback" not in journal, journal[-4000:]


def test_a_main_loop_hung_with_sigstop_is_restarted_by_the_watchdog(vpi: VirtualPi):
    before = vpi.service("MainPID", "NRestarts")
    vpi.check("kill", "-STOP", before["MainPID"])

    def restarted() -> dict[str, str] | None:
        now = vpi.service("MainPID", "NRestarts", "ActiveState")
        fresh = now["MainPID"] not in ("0", before["MainPID"]) and now["ActiveState"] == "active"
        return now if fresh else None

    after = vpi.wait_until("a new main process after the watchdog's kill", restarted, 600, 5)
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    journal = vpi.check("journalctl", "-u", SERVICE, "--no-pager", "-o", "cat", "-n", "200")
    assert "Watchdog timeout" in journal, journal[-3000:]
