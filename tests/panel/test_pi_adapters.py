"""The Pi adapters (timedatectl/busctl, vcgencmd) against stand-in commands on PATH."""

from __future__ import annotations

import os
import stat

import pytest

from appliance.panel.device_clock import SystemDeviceClock
from appliance.panel.errors import TimeNotSet
from appliance.panel.health import VcgencmdHealth, describe_throttled


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return path


def command(bin_dir, name: str, script: str) -> None:
    target = bin_dir / name
    target.write_text("#!/bin/sh\n" + script)
    target.chmod(target.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize(("answer", "trusted"), [("yes", True), ("no", False)])
def test_trust_follows_ntp_synchronisation(bin_dir, answer, trusted):
    command(bin_dir, "timedatectl", f'[ "$2" = "--property=NTPSynchronized" ] && echo {answer}\n')
    assert SystemDeviceClock().is_trusted() is trusted


def test_no_timedatectl_means_not_trusted(bin_dir):
    assert SystemDeviceClock().is_trusted() is False


def test_setting_the_time_calls_timedated_with_microseconds(bin_dir, tmp_path):
    log = tmp_path / "busctl.args"
    command(bin_dir, "busctl", f'echo "$@" > {log}\n')
    assert SystemDeviceClock().set_time(1_795_000_000.25) is True
    assert log.read_text().split() == [
        "call", "org.freedesktop.timedate1", "/org/freedesktop/timedate1",
        "org.freedesktop.timedate1", "SetTime", "xbb", "1795000000250000", "false", "false",
    ]  # fmt: skip


def test_a_refused_set_time_says_so(bin_dir):
    command(bin_dir, "busctl", "echo 'Automatic time synchronization is enabled' >&2\nexit 1\n")
    with pytest.raises(TimeNotSet):
        SystemDeviceClock().set_time(1_795_000_000)


def test_no_busctl_cannot_set_time(bin_dir):
    with pytest.raises(TimeNotSet):
        SystemDeviceClock().set_time(1_795_000_000)


def test_vcgencmd_readings_in_plain_words(bin_dir):
    command(
        bin_dir,
        "vcgencmd",
        'case "$1" in measure_temp) echo "temp=71.4\'C";;\n'
        "get_throttled) echo throttled=0x50005;; esac\n",
    )
    reading = VcgencmdHealth().read()
    assert reading["temperature_c"] == 71.4
    assert reading["throttled"] == 0x50005
    assert reading["warnings"] == describe_throttled(0x50005)
    assert len(reading["warnings"]) == 4
    assert any("power supply is too weak right now" in w for w in reading["warnings"])


def test_without_vcgencmd_health_is_unknown(bin_dir):
    assert VcgencmdHealth().read() == {"temperature_c": None, "throttled": None, "warnings": []}
    assert os.environ["PATH"] == str(bin_dir)
