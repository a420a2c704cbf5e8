"""The pi-gen stage: what it puts in the image and what it runs in the image's chroot.

pi-gen runs a substage's `00-run.sh` on the build host with ROOTFS_DIR set and its helper
`on_chroot` exported (it feeds its standard input to bash inside the image). The test
stands in for `on_chroot`, recording the script it gets and which secrets were present
while it ran.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGE = REPO / "provisioning" / "image" / "stage-vig"
RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
FAKE_ON_CHROOT = ('on_chroot() { cat > "$CHROOT_LOG"; '
                  'ls "$ROOTFS_DIR/root/vig-provision" > "$CHROOT_LOG.secrets"; }; '
                  'export -f on_chroot; exec "$0"')


def run_stage(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir(exist_ok=True)
    environ = {"PATH": os.environ["PATH"], "ROOTFS_DIR": str(rootfs),
               "CHROOT_LOG": str(tmp_path / "chroot.sh"), **env}
    return subprocess.run(["bash", "-c", FAKE_ON_CHROOT, str(STAGE / "00-install-app/00-run.sh")],
                          env=environ, capture_output=True, text=True, check=False, timeout=120)


def test_stage_runs_install_in_the_chroot_and_removes_the_secrets(tmp_path: Path) -> None:
    pin, passphrase = tmp_path / "pin", tmp_path / "wifi"
    pin.write_text("482916\n")
    passphrase.write_text("Hk7mPq2xWz9nRt4vBc6d\n")
    result = run_stage(tmp_path, VIG_RECIPIENT=RECIPIENT, VIG_PIN_FILE=str(pin),
                       VIG_WIFI_PASSPHRASE_FILE=str(passphrase), WPA_COUNTRY="IE")
    assert result.returncode == 0, result.stderr
    words = shlex.split((tmp_path / "chroot.sh").read_text())
    assert words[:2] == ["bash", "/opt/vig-appliance/src/provisioning/install.sh"]
    for option, value in (("--source", "/opt/vig-appliance/src"), ("--recipient", RECIPIENT),
                          ("--pin-file", "/root/vig-provision/pin"), ("--country", "IE"),
                          ("--wifi-passphrase-file", "/root/vig-provision/wifi-passphrase")):
        assert words[words.index(option) + 1] == value
    assert "--image-build" in words
    assert (tmp_path / "chroot.sh.secrets").read_text().split() == ["pin", "wifi-passphrase"]
    assert not (tmp_path / "rootfs/root/vig-provision").exists()
    source = tmp_path / "rootfs/opt/vig-appliance/src"
    assert (source / "provisioning/install.sh").read_bytes() == \
        (REPO / "provisioning/install.sh").read_bytes()
    assert (source / "pyproject.toml").exists()
    assert not (source / ".venv").exists() and not (source / ".git").exists()


def test_stage_refuses_to_build_without_a_recipient(tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("482916\n")
    result = run_stage(tmp_path, VIG_PIN_FILE=str(pin))
    assert result.returncode == 1
    assert not (tmp_path / "chroot.sh").exists()
    assert not (tmp_path / "rootfs/opt").exists()


def test_stage_exports_an_image() -> None:
    assert "IMG_SUFFIX=" in (STAGE / "EXPORT_IMAGE").read_text()
    assert os.access(STAGE / "prerun.sh", os.X_OK)
    assert os.access(STAGE / "00-install-app/00-run.sh", os.X_OK)
