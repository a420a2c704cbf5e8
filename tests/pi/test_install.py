"""provisioning/install.sh against a fake root and recording stand-ins for system commands.

The stubs (tests/pi/fakesys.py) keep one shared state, so install.sh's own checks see what
its earlier commands did, as on a Pi. What is proven: the dry run prints the whole plan and
touches nothing; a real run sets everything up; a second run changes nothing and runs no
command that changes anything; bad input stops before anything is changed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.config import RecordingConfig, StorageConfig, load_config
from appliance.panel.pin_store import PinStore, panel_files
from appliance.vault.store import Vault
from tests.tooling import require_tool

from . import fakesys

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "provisioning" / "install.sh"
RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
RECOVERY = "age1xst0743cd8eg2pxp7teve8uv40nwnzqc766tgtptr5anpuaghusq6y85vv"
DATA_PARTITION = "/dev/mmcblk0p3"
CMDLINE = "console=serial0,115200 root=PARTUUID=4e639091-02 rootfstype=ext4 rootwait\n"
QUERIES = {"dpkg-query", "getent", "id", "stat", "blkid", "lsblk", "findmnt"}


class FakePi:
    """A fake root, a PATH of stubs, and a way to run install.sh against them."""

    def __init__(self, tmp: Path, release: str) -> None:
        self.root, self.bin = tmp / "root", tmp / "bin"
        self.state, self.log = tmp / "state.json", tmp / "calls.jsonl"
        for folder in ("etc", "boot/firmware", "run/systemd/system", self.bin):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "etc/os-release").write_text(f"ID=debian\nVERSION_CODENAME={release}\n")
        (self.root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
        (self.root / "etc/fstab").write_text("proc /proc proc defaults 0 0\n")
        (self.root / "boot/firmware/cmdline.txt").write_text(CMDLINE)
        state = json.loads(json.dumps(fakesys.EMPTY_STATE))
        state["groups"] = ["video", "audio"]
        state["packages"] = {"python3-numpy": "1:1.24.2-1", "iw": "5.19-1"}
        if release == "bookworm":
            state["packages"]["dphys-swapfile"] = "20100506-7.1"
        else:
            (self.root / "etc/rpi").mkdir()
            (self.root / "etc/rpi/swap.conf").write_text("[Main]\nMechanism=auto\n")
        state["block"] = {}
        state["partitions"] = [DATA_PARTITION]
        state["enabled"] = ["systemd-timesyncd.service", "ssh.service"]
        self.state.write_text(json.dumps(state))
        for name in fakesys.COMMANDS:
            stub = self.bin / name
            command = f'exec "{sys.executable}" "{fakesys.__file__}" {name} "$@"'
            stub.write_text(f"#!/bin/sh\n{command}\n")
            stub.chmod(0o755)
        # A snapshot of the checkout: others may be editing the working tree meanwhile.
        self.source = tmp / "source"
        shutil.copytree(REPO, self.source, ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "tests", "bench", "*.egg-info", "test-artefacts"))
        self.pin_file, self.passphrase_file = tmp / "pin", tmp / "passphrase"
        self.pin_file.write_text("482916\n")
        self.passphrase_file.write_text("correct horse;battery:staple\n")

    def run(self, *extra: str, full: bool = True) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        args = ["bash", str(INSTALL), "--root", str(self.root), "--source", str(self.source)]
        if full:
            args += ["--recipient", RECIPIENT, "--recovery-recipient", RECOVERY,
                     "--pin-file", str(self.pin_file),
                     "--wifi-passphrase-file", str(self.passphrase_file),
                     "--data-partition", DATA_PARTITION, "--read-only-root"]
        args += extra  # after the defaults: a repeated option's last value wins
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "FAKESYS_STATE": str(self.state),
               "FAKESYS_LOG": str(self.log), "FAKESYS_ROOT": str(self.root),
               "FAKESYS_BIN": str(self.bin), "HOME": os.environ.get("HOME", "/root")}
        return subprocess.run(args, capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, check=False, timeout=120)

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def changing_calls(self) -> list[list[str]]:
        return [call for call in self.calls() if not is_query(call)]

    def system(self) -> dict:
        return json.loads(self.state.read_text())

    def tree(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.root)): p.read_bytes() if p.is_file() else b"<dir>"
                for p in sorted(self.root.rglob("*"))}


def is_query(call: list[str]) -> bool:
    name, args = call[0], call[1:]
    if name in QUERIES:
        return True
    if name == "systemctl":
        return "is-enabled" in args
    if name == "raspi-config":
        return args[:2] == ["nonint", "get_wifi_country"]
    if name in ("runuser", "vig-appliance"):
        return args[-2:] == ["keys", "list"]
    return False


@pytest.fixture
def pi(tmp_path: Path) -> FakePi:
    return FakePi(tmp_path, "bookworm")


def test_dry_run_prints_the_whole_plan_and_changes_nothing(pi: FakePi) -> None:
    before_tree, before_state = pi.tree(), pi.system()
    result = pi.run("--dry-run")
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    assert "would run: apt-get install" not in plan  # it runs through env DEBIAN_FRONTEND
    assert "apt-get install -y -q --no-install-recommends python3-picamera2" in plan
    for package in ("python3-gpiozero", "python3-lgpio", "network-manager", "udisks2", "age"):
        assert package in plan
    assert "would run: useradd --system" in plan
    assert "--groups video,audio,gpio vig-appliance" in plan
    assert "would run: groupadd --system gpio" in plan
    assert "python3 -m venv --system-site-packages" in plan
    assert f"would run: mkfs.ext4 -q -L vig-data {DATA_PARTITION}" in plan
    assert "would: write /etc/vig-appliance/config.toml (640 root:vig-appliance)" in plan
    assert "| [panel]" in plan
    assert "would: write /etc/NetworkManager/system-connections/vig-ap.nmconnection" in plan
    assert "| method=shared" in plan and "| mode=ap" in plan
    assert "| psk=(secret)" in plan and "battery" not in plan
    assert "enable vig-appliance.service" in plan
    assert "raspi-config nonint do_overlayfs 0" in plan
    assert "overlayroot=tmpfs:recurse=0" in plan
    assert "keys add" in plan and "panel set-pin" in plan
    assert "dry run: nothing was changed" in plan
    assert pi.tree() == before_tree
    assert pi.system() == before_state
    assert pi.changing_calls() == []


def test_install_sets_up_the_appliance(pi: FakePi) -> None:
    result = pi.run()
    assert result.returncode == 0, result.stdout + result.stderr
    system = pi.system()
    assert {"python3-picamera2", "udisks2", "network-manager", "polkitd"} <= set(system["packages"])
    assert "dphys-swapfile" not in system["packages"]
    assert sorted(system["users"]["vig-appliance"]) == ["audio", "gpio", "video"]
    assert {"vig-appliance.service", "NetworkManager.service"} <= set(system["enabled"])
    assert "systemd-timesyncd.service" not in system["enabled"]  # else SetTime is refused
    data_dir = pi.root / "var/lib/vig-appliance"
    enrolled = Vault(data_dir, StorageConfig(), RecordingConfig()).recipient_entries()
    assert [(e.text, e.comment) for e in enrolled] == [(RECIPIENT, "practitioner"),
                                                       (RECOVERY, "service recovery")]
    assert PinStore(panel_files(data_dir)[0]).verify("482916")
    assert system["pip"] == [f"{pi.source}[pi]"]  # the pi extra: sounddevice, lgpio
    assert system["block"][DATA_PARTITION]["LABEL"] == "vig-data"
    assert system["owners"][str(pi.root / "var/lib/vig-appliance")] == "vig-appliance:vig-appliance"
    constraints = (pi.root / "opt/vig-appliance/pip-constraints.txt").read_text()
    assert constraints == "numpy>=1,<2\n"

    config, _ = load_config(pi.root / "etc/vig-appliance/config.toml")
    assert config.data_dir == "/var/lib/vig-appliance"
    assert (config.gpio.button, config.gpio.red_led, config.gpio.green_led) == (17, 27, 22)
    assert config.panel.host == "0.0.0.0"

    keyfile = pi.root / "etc/NetworkManager/system-connections/vig-ap.nmconnection"
    assert keyfile.stat().st_mode & 0o777 == 0o600
    lines = keyfile.read_text().splitlines()
    for line in ("mode=ap", "method=shared", "address1=10.42.0.1/24", "key-mgmt=wpa-psk",
                 "psk=correct horse;battery:staple", "ssid=VIG-appliance"):
        assert line in lines
    fstab = (pi.root / "etc/fstab").read_text().splitlines()
    assert fstab[0] == "proc /proc proc defaults 0 0"
    assert fstab[1].split()[1:3] == ["/var/lib/vig-appliance", "ext4"]
    assert "noexec" in fstab[1].split()[3]
    assert (pi.root / "boot/firmware/cmdline.txt").read_text().startswith(
        "overlayroot=tmpfs:recurse=0 console=serial0")
    assert (pi.root / "etc/hostname").read_text() == "vig\n"
    assert "127.0.1.1\tvig" in (pi.root / "etc/hosts").read_text().splitlines()
    assert "install.sh: 31 changes made." in result.stdout
    unit = pi.root / "etc/systemd/system/vig-appliance.service"
    assert unit.read_bytes() == (REPO / "systemd/vig-appliance.service").read_bytes()
    assert ["systemctl", "restart", "vig-appliance.service"] in pi.calls()


def test_second_run_changes_nothing_and_says_so(pi: FakePi) -> None:
    assert pi.run().returncode == 0
    tree, state = pi.tree(), pi.system()
    again = pi.run()
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stdout
    assert "   change: " not in again.stdout and "     run: " not in again.stdout
    assert pi.changing_calls() == []
    assert pi.tree() == tree
    assert pi.system() == state


def test_trixie_keeps_swap_in_ram(tmp_path: Path) -> None:
    pi = FakePi(tmp_path, "trixie")
    assert pi.run().returncode == 0
    dropin = pi.root / "etc/rpi/swap.conf.d/90-vig-appliance.conf"
    assert "Mechanism=zram" in dropin.read_text().splitlines()
    assert "nothing to change" in pi.run().stdout


@pytest.mark.parametrize("bad", [
    ["--recipient", "age1notakey"],
    ["--read-only-root"],
    ["--ssid", "semi;colon"],
    ["--country", "gb"],
    ["--bogus"],
    ["--pin-file", "/dev/null"],
    ["--wifi-passphrase-file", "/dev/null"],
    pytest.param([], id="no-PIN-and-no-terminal"),
])
def test_bad_input_stops_before_any_change(pi: FakePi, bad: list[str]) -> None:
    tree = pi.tree()
    result = pi.run(*bad, full=False)
    assert result.returncode != 0
    assert result.stderr.startswith("install.sh:") or "usage:" in result.stderr
    assert pi.calls() == []
    assert pi.tree() == tree


def test_a_foreign_file_system_is_never_formatted(pi: FakePi) -> None:
    system = pi.system()
    system["block"][DATA_PARTITION] = {"TYPE": "vfat", "LABEL": "HOLIDAY", "UUID": "AB12-CD34"}
    pi.state.write_text(json.dumps(system))
    result = pi.run()
    assert result.returncode == 1
    assert result.stderr.startswith("install.sh: error:")
    assert pi.changing_calls() == []


def test_recordings_already_in_the_data_dir_are_never_hidden(pi: FakePi) -> None:
    session = pi.root / "var/lib/vig-appliance/sessions/20261125-090000-abcd"
    session.mkdir(parents=True)
    (session / "part-0001.mp4.age").write_bytes(b"age-encryption.org/v1\n")
    tree = pi.tree()
    result = pi.run()
    assert result.returncode == 1
    assert result.stderr.startswith("install.sh: error:")
    assert pi.changing_calls() == []
    assert pi.tree() == tree


def test_a_failing_command_stops_the_install_and_says_which(pi: FakePi) -> None:
    system = pi.system()
    system["broken"] = ["apt-get"]
    pi.state.write_text(json.dumps(system))
    result = pi.run()
    assert result.returncode == 3
    assert '"apt-get update -q"' in result.stderr.splitlines()[-1]
    assert [call[0] for call in pi.changing_calls()] == ["apt-get"]


def test_a_whole_card_is_never_formatted(pi: FakePi) -> None:
    result = pi.run("--data-partition", "/dev/mmcblk0")  # the last --data-partition wins
    assert result.returncode == 1
    assert result.stderr.startswith("install.sh: error:")
    assert pi.changing_calls() == []


def test_provisioning_scripts_pass_shellcheck() -> None:
    shellcheck = require_tool("shellcheck", "shellcheck")
    scripts = [*sorted((REPO / "provisioning").rglob("*.sh")),
               *sorted((REPO / "systemd").rglob("*.sh"))]
    assert INSTALL in scripts
    assert REPO / "provisioning" / "lib" / "actions.sh" in scripts
    result = subprocess.run([shellcheck, "--severity=style", "--external-sources",
                             *map(str, scripts)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_a_changed_checkout_or_reset_pin_is_the_only_change(pi: FakePi) -> None:
    assert pi.run().returncode == 0
    pin_file = panel_files(pi.root / "var/lib/vig-appliance")[0]
    pin_before = pin_file.read_bytes()
    with (pi.source / "appliance" / "__init__.py").open("a") as module:
        module.write("\n")
    again = pi.run("--reset-pin")
    assert again.returncode == 0, again.stderr
    changes = [line.strip() for line in again.stdout.splitlines() if line.startswith("   change: ")]
    assert changes == [f"change: install the app from {pi.source}",
                       "change: write /opt/vig-appliance/venv/.vig-source-digest (644 root:root)",
                       "change: set the panel PIN"]
    assert [call[0] for call in pi.changing_calls()] == ["pip", "runuser", "vig-appliance",
                                                        "systemctl"]
    assert pin_file.read_bytes() != pin_before  # hashed again, with a fresh salt


def test_installed_unit_config_and_access_point_agree(pi: FakePi) -> None:
    """The unit runs the venv install.sh made, may write where the config says, and lets
    in exactly the access point's network."""
    assert pi.run().returncode == 0
    unit = {}
    for line in (pi.root / "etc/systemd/system/vig-appliance.service").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            unit.setdefault(key, []).append(value)
    config, _ = load_config(pi.root / "etc/vig-appliance/config.toml")
    executable, command = unit["ExecStart"][0].split()
    assert command == "run"
    assert (pi.root / executable.lstrip("/")).exists()
    assert config.data_dir == f"/var/lib/{unit['StateDirectory'][0]}"
    assert f"-{config.export.usb_dir}" in unit["ReadWritePaths"][0].split()
    keyfile = (pi.root / "etc/NetworkManager/system-connections/vig-ap.nmconnection").read_text()
    address = next(line.split("=", 1)[1] for line in keyfile.splitlines()
                   if line.startswith("address1="))
    allowed = [ipaddress.ip_network(n) for n in unit["IPAddressAllow"][0].split()
               if n[0].isdigit()]
    assert ipaddress.ip_interface(address).network in allowed
    assert config.panel.host == "0.0.0.0"
