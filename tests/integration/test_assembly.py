"""Start-up wiring: the time source a session records comes from the hardware found."""

from __future__ import annotations

import time

from appliance.assembly import build_parts
from appliance.config import Config
from appliance.sources import VirtualClock


def test_a_valid_pi5_rtc_makes_rtc_the_time_source_of_the_sessions(tmp_path, monkeypatch):
    rtc = tmp_path / "rtc0"
    rtc.mkdir()
    (rtc / "name").write_text("rpi-rtc soc:rpi_rtc\n")  # as drivers/rtc/sysfs.c writes it
    (rtc / "since_epoch").write_text(f"{int(time.time())}\n")
    config = Config(data_dir=str(tmp_path / "data"), rtc_dir=str(rtc))
    sim = build_parts(
        config,
        tmp_path / "data",
        simulate=True,
        clock=VirtualClock(),
        usb_dir=tmp_path / "usb",
        sources=(None, None),
    )
    assert sim.controller.status()["time_source"] == "system"
    monkeypatch.setattr("appliance.assembly.build_real_sources", lambda config, clock: (None, None))
    real = build_parts(
        config, tmp_path / "data", simulate=False, clock=VirtualClock(), usb_dir=tmp_path / "usb"
    )
    assert real.controller.status()["time_source"] == "rtc"
