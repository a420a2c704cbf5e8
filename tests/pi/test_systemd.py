"""The service unit, journald drop-in, udev and polkit rules, checked by the real tools.

`systemd-analyze` works offline (no systemd as PID 1 needed): `verify` loads the unit as
systemd would, `security --offline=yes` scores its sandbox. The polkit rules run in
Duktape, the engine polkitd itself embeds, against the actions udisks2 and timedated send.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tooling import require_tool

SYSTEMD_DIR = Path(__file__).resolve().parents[2] / "systemd"
UNIT = SYSTEMD_DIR / "vig-appliance.service"
EXPOSURE_LIMIT = 2.5
HARDENING_KEYS = (
    "CapabilityBoundingSet", "NoNewPrivileges", "ProtectSystem", "ProtectHome",
    "DevicePolicy", "RestrictAddressFamilies", "ProtectKernelTunables", "ProtectKernelModules",
    "ProtectControlGroups", "ProtectClock", "RestrictNamespaces", "SystemCallFilter",
)


def unit_copy(tmp_path: Path, text: str) -> Path:
    """Write the unit with an ExecStart that exists here; every other line is kept as is."""
    executable = f"ExecStart={sys.executable} -c pass"
    copy = tmp_path / UNIT.name
    copy.write_text(re.sub(r"(?m)^ExecStart=.*$", executable, text))
    return copy


def directives(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            pairs.append((key, value))
    return pairs


def exposure(unit: Path) -> tuple[int, float]:
    analyze = require_tool("systemd-analyze", "systemd")
    run = subprocess.run(
        [analyze, "security", "--offline=yes", f"--threshold={int(EXPOSURE_LIMIT * 10)}",
         "--no-pager", str(unit)],
        capture_output=True, text=True, check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", run.stdout)
    assert found, run.stdout + run.stderr
    return run.returncode, float(found.group(1))


def test_unit_verifies(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "systemd")
    copy = unit_copy(tmp_path, UNIT.read_text())
    run = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    complaints = [line for line in run.stderr.splitlines() if copy.name in line]
    assert complaints == []


def test_unit_exposure_is_at_most_2_5(tmp_path: Path) -> None:
    returncode, level = exposure(unit_copy(tmp_path, UNIT.read_text()))
    assert level <= EXPOSURE_LIMIT
    assert returncode == 0


def test_exposure_check_catches_a_weakened_unit(tmp_path: Path) -> None:
    """The threshold really bites: the same unit without its sandbox fails it."""
    weakened = "\n".join(
        line for line in UNIT.read_text().splitlines()
        if line.partition("=")[0] not in HARDENING_KEYS
    )
    returncode, level = exposure(unit_copy(tmp_path, weakened))
    assert level > EXPOSURE_LIMIT
    assert returncode != 0


def test_unit_holds_no_privilege_and_keeps_its_watchdog() -> None:
    pairs = directives(UNIT.read_text())
    values = dict(pairs)
    assert values["CapabilityBoundingSet"] == ""
    assert values["AmbientCapabilities"] == ""
    assert values["Type"] == "notify"
    assert values["NotifyAccess"] == "main"
    assert float(values["WatchdogSec"]) > 0
    assert values["Restart"] == "on-failure"
    assert values["User"] == "vig-appliance"
    assert "MemoryDenyWriteExecute" not in values  # cffi/ctypes callbacks need W+X pages
    allowed = {value.split()[0] for key, value in pairs if key == "DeviceAllow"}
    assert {"char-video4linux", "char-gpiochip", "char-alsa"} <= allowed
    assert values["DevicePolicy"] == "closed"


def size_bytes(size: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    return int(size[:-1]) * units[size[-1].upper()] if size[-1:].isalpha() else int(size)


def test_temporary_files_go_to_small_private_tmpfs_not_the_card() -> None:
    """/tmp and /var/tmp are size-capped tmpfs mounts; PrivateTmp= would sit on the card.

    (systemd-analyze security scores only PrivateTmp= as private temp, so the unit gives
    up 0.2 of exposure for this; the limit still holds.)
    """
    pairs = directives(UNIT.read_text())
    assert "PrivateTmp" not in dict(pairs)
    mounts = {}
    for key, value in pairs:
        if key == "TemporaryFileSystem":
            for entry in value.split():
                path, _, options = entry.partition(":")
                mounts[path] = dict(
                    option.partition("=")[::2] for option in options.split(",") if option
                )
    assert set(mounts) == {"/tmp", "/var/tmp"}
    for options in mounts.values():
        assert 0 < size_bytes(options["size"]) <= 64 * 1024**2
        assert options["mode"] == "1777"


#: Descriptors the service needs beside the panel's connections: the camera and its DMA
#: buffers, the sound card, GPIO, the session's files, D-Bus, the journal.
DESCRIPTORS_BESIDE_THE_PANEL = 256


def test_open_files_allow_every_panel_connection() -> None:
    """The panel's connection limit (every AP address at its cap) fits under LimitNOFILE."""
    from appliance.panel.server import CONNECTION_LIMIT

    limits = [value for key, value in directives(UNIT.read_text()) if key == "LimitNOFILE"]
    assert len(limits) == 1, "the unit sets LimitNOFILE once"
    soft, _, hard = limits[0].partition(":")
    for value in (soft, hard or soft):
        assert int(value) >= CONNECTION_LIMIT + DESCRIPTORS_BESIDE_THE_PANEL


def test_journald_dropin_uses_only_keys_journald_knows() -> None:
    journald = Path("/lib/systemd/systemd-journald")
    if not journald.exists():
        pytest.fail("systemd-journald is missing: install the Debian package 'systemd'",
                    pytrace=False)
    binary = journald.read_bytes()
    pairs = directives((SYSTEMD_DIR / "journald-vig.conf").read_text())
    assert pairs, "the drop-in sets nothing"
    unknown = [key for key, _ in pairs if key.encode() not in binary]
    assert unknown == []
    assert dict(pairs)["SystemMaxUse"].endswith("M")


def test_udev_rule_marks_only_usb_disks_for_export() -> None:
    text = (SYSTEMD_DIR / "99-vig-usb.rules").read_text()
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    labels = {m.group(1) for m in re.finditer(r'LABEL="(\w+)"', text)}
    gotos = {m.group(1) for m in re.finditer(r'GOTO="(\w+)"', text)}
    assert gotos <= labels
    usb_gate = rules.index('ENV{ID_BUS}!="usb", GOTO="vig_usb_end"')
    marks = [i for i, line in enumerate(rules) if 'ENV{VIG_EXPORT_STICK}="1"' in line]
    assert marks and all(i > usb_gate for i in marks)
    options = next(line for line in rules if "UDISKS_MOUNT_OPTIONS_ALLOW" in line)
    assert "noexec" in options
    assert not re.search(r'[",]exec[",]', options)
