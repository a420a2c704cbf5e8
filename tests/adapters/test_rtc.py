"""The time source from a fake sysfs RTC directory.

The kernel's `name` attribute is "<driver> <device>" (drivers/rtc/sysfs.c, name_show); the
Pi 5's RTC driver is `rpi-rtc`, and the device part comes from the device tree, so only the
first word is the driver's.
"""

from __future__ import annotations

from appliance.sources.rtc import detect_time_source


def rtc_dir(tmp_path, name="rpi-rtc soc:rpi_rtc", since_epoch="1764100000"):
    directory = tmp_path / "rtc0"
    directory.mkdir(parents=True)
    (directory / "name").write_text(name + "\n")
    (directory / "since_epoch").write_text(since_epoch + "\n")
    return directory


def test_pi_rtc_with_a_set_time_is_the_source(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path)).kind == "rtc"


def test_the_pi_rtc_is_known_by_its_driver_whatever_its_device_is_called(tmp_path):
    for device in ("soc:rpi_rtc", "107d000000.soc:rpi_rtc"):
        directory = rtc_dir(tmp_path / device, name=f"rpi-rtc {device}")
        assert detect_time_source(directory).kind == "rtc"


def test_a_name_that_only_starts_like_the_pi_driver_is_not_it(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path, name="rpi-rtc2 soc:rtc")).kind == "system"


def test_pi_rtc_without_battery_still_in_1970_is_not(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path, since_epoch="42")).kind == "system"


def test_another_rtc_chip_is_not_the_pi_rtc(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path, name="rtc-ds1307 1-0068")).kind == "system"


def test_no_rtc_or_unreadable_rtc_means_system(tmp_path):
    assert detect_time_source(tmp_path / "missing").kind == "system"
    assert detect_time_source(rtc_dir(tmp_path, since_epoch="garbage")).kind == "system"
