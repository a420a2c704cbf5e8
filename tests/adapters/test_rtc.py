"""The time source from a fake sysfs RTC directory."""

from __future__ import annotations

from appliance.sources.rtc import detect_time_source


def rtc_dir(tmp_path, name="rpi_rtc", since_epoch="1764100000"):
    directory = tmp_path / "rtc0"
    directory.mkdir()
    (directory / "name").write_text(name + "\n")
    (directory / "since_epoch").write_text(since_epoch + "\n")
    return directory


def test_pi_rtc_with_a_set_time_is_the_source(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path)).kind == "rtc"


def test_pi_rtc_without_battery_still_in_1970_is_not(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path, since_epoch="42")).kind == "system"


def test_another_rtc_chip_is_not_the_pi_rtc(tmp_path):
    assert detect_time_source(rtc_dir(tmp_path, name="rtc-ds1307")).kind == "system"


def test_no_rtc_or_unreadable_rtc_means_system(tmp_path):
    assert detect_time_source(tmp_path / "missing").kind == "system"
    assert detect_time_source(rtc_dir(tmp_path, since_epoch="garbage")).kind == "system"
