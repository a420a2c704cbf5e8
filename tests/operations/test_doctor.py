"""`vig-appliance doctor` on a simulated set-up, and each check on crafted inputs."""

from __future__ import annotations

import stat

import pytest
from gpiozero import LED
from gpiozero.pins.mock import MockFactory

from appliance.cli import main
from appliance.config import Config, GpioConfig
from appliance.operations import doctor
from appliance.sources import SyntheticMicrophone, VirtualClock
from appliance.sources.errors import SourceStateError
from appliance.vault.store import Vault
from tests.support.vaults import make_enrolled_vault

MOUNTINFO = (
    "22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
    "30 22 0:27 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=400m\n"
)


def fake_tool(tmp_path, name, output, status=0):
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{output}'\nexit {status}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def setup(tmp_path):
    data = tmp_path / "data"
    make_enrolled_vault(data, storage=Config().storage)
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "mountinfo").write_text(MOUNTINFO)
    (proc / "swaps").write_text("Filename\tType\tSize\tUsed\tPriority\n")
    (proc / "core_pattern").write_text("|/bin/false\n")
    rtc = tmp_path / "rtc0"
    rtc.mkdir()
    (rtc / "name").write_text("rpi-rtc soc:rpi_rtc\n")  # as drivers/rtc/sysfs.c writes it
    (rtc / "since_epoch").write_text("1764100000\n")
    config = tmp_path / "config.toml"  # judged on its own, not on this machine's free space
    config.write_text("[storage]\nreserve_bytes = 0\nstart_headroom_minutes = 0.0\n")
    args = [
        "--config", str(config), "--data-dir", str(data),
        "doctor", "--simulate", "--listen-seconds", "0.5",
        "--mountinfo", str(proc / "mountinfo"), "--swaps", str(proc / "swaps"),
        "--core-pattern", str(proc / "core_pattern"), "--rtc-dir", str(rtc),
        "--systemctl", fake_tool(tmp_path, "systemctl", "active"),
    ]
    return data, args


def test_doctor_on_a_simulated_setup_prints_one_line_per_check(setup, capsys):
    _, args = setup
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    statuses = [line.split()[0] for line in lines]
    assert statuses == ["ok"] * 10, lines
    subjects = [line.split()[1] for line in lines]
    assert subjects == ["camera:", "microphone:", "GPIO:", "data", "recipients:", "clock:",
                        "panel:", "service:", "swap:", "core"]
    assert all("  — " in line for line in lines)
    assert "practitioner" not in "\n".join(lines)  # a recipient's comment may be a name


def test_doctor_fails_without_recipients(setup, capsys):
    data, args = setup
    (data / "recipients.txt").unlink()
    assert main(args) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("fail")] == [
        next(line for line in lines if "recipients:" in line)
    ]


@pytest.mark.parametrize(
    ("swaps", "status"),
    [("", "ok"), ("/dev/zram0 partition 1048572 0 100\n", "ok"),
     ("/var/swap file 102396 0 -2\n", "fail")],
)
def test_swap(tmp_path, swaps, status):
    path = tmp_path / "swaps"
    path.write_text("Filename Type Size Used Priority\n" + swaps)
    assert doctor.check_swap(path).status == status


@pytest.mark.parametrize(
    ("pattern", "soft", "status"),
    [("|/bin/false", 2**20, "ok"), ("core", 0, "ok"),
     ("|/lib/systemd/systemd-coredump %P %u", 2**20, "warn"), ("core", 2**20, "fail")],
)
def test_core_dumps(tmp_path, pattern, soft, status):
    path = tmp_path / "core_pattern"
    path.write_text(pattern + "\n")
    assert doctor.check_core_dumps(path, lambda: (soft, soft)).status == status


def test_find_mount_takes_the_longest_prefix_and_unescapes(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        MOUNTINFO + "40 22 8:1 / /media/my\\040stick rw,nosuid - vfat /dev/sda1 rw\n"
    )
    assert doctor.find_mount(mountinfo, tmp_path / "media").fstype == "ext4"
    mount = doctor.find_mount(mountinfo, "/media/my stick/VIG-EXPORT")
    assert (mount.mount_point, mount.fstype) == ("/media/my stick", "vfat")
    assert doctor.find_mount(mountinfo, "/run/user").options == "rw,nosuid,nodev"


def test_data_area_read_only_fails_and_memory_warns(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    vault = Vault(data, Config().storage, Config().recording)
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(f"50 22 0:1 / {tmp_path} ro,noatime - ext4 /dev/sdb1 ro\n")
    assert doctor.check_data_area(data, vault, mountinfo, 0).status == "fail"
    mountinfo.write_text(f"50 22 0:1 / {tmp_path} rw - tmpfs tmpfs rw\n")
    assert doctor.check_data_area(data, vault, mountinfo, 0).status == "warn"
    assert doctor.check_data_area(tmp_path / "nowhere", vault, mountinfo, 0).status == "fail"


def test_access_point_states():
    def runner(status, output):
        return lambda argv: (status, output)

    def missing(argv):
        raise FileNotFoundError(argv[0])

    assert doctor.check_access_point(runner(0, "activated"), "nmcli", "vig-ap").status == "ok"
    assert doctor.check_access_point(runner(0, ""), "nmcli", "vig-ap").status == "warn"
    assert doctor.check_access_point(runner(10, ""), "nmcli", "vig-ap").status == "fail"
    assert doctor.check_access_point(missing, "nmcli", "vig-ap").status == "warn"


def test_service_states():
    assert doctor.check_service("active", "u").status == "ok"
    assert doctor.check_service("failed", "u").status == "fail"
    assert doctor.check_service("inactive", "u").status == "warn"
    assert doctor.service_state(lambda argv: (3, "inactive"), "systemctl", "u") == "inactive"


def test_clock_unset_system_time_warns(tmp_path):
    assert doctor.check_clock(tmp_path / "none", lambda: 86_400.0).status == "warn"
    assert doctor.check_clock(tmp_path / "none", lambda: 1_764_100_000.0).status == "ok"


def run_microphone(**kwargs):
    clock = VirtualClock()
    microphone = SyntheticMicrophone(clock, **kwargs)
    return doctor.check_microphone(
        microphone, lambda s: clock.run_until(clock.now() + s), 0.5
    )


def test_microphone_level_judgement():
    assert run_microphone().status == "ok"
    assert run_microphone(noise_level=0.0, beep_level=0.0).status == "warn"  # silent
    assert run_microphone(beep_level=2.0).status == "warn"  # clipping


def test_a_card_that_only_offers_44k1_stereo_is_said_to_be_converted():
    from appliance.sources.sounddevice_microphone import SounddeviceMicrophone
    from tests.adapters.fake_sounddevice import make_sounddevice

    clock = VirtualClock(500.0)
    sd = make_sounddevice(lambda: 1_764_000_000.0 + clock.now())
    microphone = SounddeviceMicrophone(
        clock, device_substring="loopback", sounddevice_module=sd, clock_wait=0.0
    )

    def listen(seconds):
        for _ in range(round(seconds / 0.02)):
            clock.run_until(clock.now() + 0.02)
            sd.streams[-1].deliver((0.1, 0.1))

    finding = doctor.check_microphone(microphone, listen, 0.5)
    assert finding.status == "ok"
    assert "44100 Hz with 2 channel(s)" in finding.what and "48000 Hz" in finding.what


def test_a_camera_that_will_not_start_fails():
    class BrokenCamera:
        def start(self, sink):
            raise SourceStateError("the camera is already running")

    assert doctor.check_camera_live(BrokenCamera(), lambda s: None).status == "fail"


def test_gpio_pin_in_use_fails():
    factory = MockFactory()
    held = LED(27, pin_factory=factory)
    try:
        assert doctor.check_gpio(GpioConfig(), factory).status == "fail"
    finally:
        held.close()
    assert doctor.check_gpio(GpioConfig(), factory).status == "ok"
