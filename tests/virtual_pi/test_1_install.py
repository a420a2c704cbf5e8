"""install.sh on a fresh Debian machine that is not a Pi: the real script, offline."""

from __future__ import annotations

from .machine import REPO, VirtualPi


def install_logs(vpi: VirtualPi) -> list[str]:
    """This run's install.sh logs, oldest first (their names are their UTC start times)."""
    return [path.read_text() for path in sorted(vpi.run_dir.glob("install-2*.log"))]


def test_install_succeeds_on_the_fresh_guest(vpi: VirtualPi):
    first = install_logs(vpi)[0]
    assert "changes made" in first, first[-3000:]
    assert "install.sh: error" not in first, first[-3000:]


def test_a_second_install_changes_nothing(vpi: VirtualPi):
    vpi.up()
    second = install_logs(vpi)[-1]
    assert "nothing to change" in second, second[-3000:]
    assert "   change:" not in second, second


def test_the_installed_unit_and_rules_are_the_repositorys(vpi: VirtualPi):
    for installed, source in [
        ("/etc/systemd/system/vig-appliance.service", "systemd/vig-appliance.service"),
        ("/etc/polkit-1/rules.d/50-vig-appliance.rules", "systemd/polkit/50-vig-appliance.rules"),
        ("/etc/udev/rules.d/99-vig-usb.rules", "systemd/99-vig-usb.rules"),
    ]:
        assert vpi.check("cat", installed) == (REPO / source).read_text(), installed


def test_the_config_records_a_small_picture_from_the_synthetic_camera(vpi: VirtualPi):
    config = vpi.check("cat", "/etc/vig-appliance/config.toml")
    for line in ['camera = "synthetic"', "width = 320", "height = 240", "fps = 10",
                 "bitrate = 300000", 'board_revision = "c03114"']:
        assert line in config.splitlines(), config


def test_doctor_passes_what_this_guest_can_and_names_what_it_cannot(vpi: VirtualPi):
    result = vpi.run("runuser", "-u", "vig-appliance", "--",
                     "/opt/vig-appliance/venv/bin/vig-appliance", "doctor", timeout=600)
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("fail")]
    assert not failed, result.stdout + result.stderr
    assert any(line.startswith("warn") and "synthetic camera stands in" in line
               for line in lines), result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
