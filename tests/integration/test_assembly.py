"""Start-up wiring: the time source a session records comes from the hardware found."""

from __future__ import annotations

import time

from appliance.assembly import build_parts
from appliance.config import Config
from appliance.sources import VirtualClock
from appliance.vault.device_key import DEVICE_KEY_FILE


def test_a_valid_pi5_rtc_makes_rtc_the_time_source_of_the_sessions(tmp_path, monkeypatch):
    rtc = tmp_path / "rtc0"
    rtc.mkdir()
    (rtc / "name").write_text("rpi_rtc\n")
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


def test_the_device_key_is_made_at_the_first_start_and_kept(tmp_path):
    config = Config(data_dir=str(tmp_path / "data"))
    key_file = tmp_path / "data" / DEVICE_KEY_FILE
    assert not key_file.exists()
    build_parts(config, tmp_path / "data", simulate=True, clock=VirtualClock(),
                usb_dir=tmp_path / "usb", sources=(None, None))
    first = key_file.read_bytes()
    assert len(first) == 32 and key_file.stat().st_mode & 0o777 == 0o600
    build_parts(config, tmp_path / "data", simulate=True, clock=VirtualClock(),
                usb_dir=tmp_path / "usb", sources=(None, None))
    assert key_file.read_bytes() == first
