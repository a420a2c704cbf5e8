"""Start-up wiring: the time source a session records comes from the hardware found."""

from __future__ import annotations

import threading
import time

from appliance.assembly import build_parts, build_service_parts
from appliance.config import Config, ExportConfig
from appliance.sources import VirtualClock
from appliance.vault.device_key import DEVICE_KEY_FILE


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


def test_in_simulation_the_usb_port_is_in_the_data_dir_and_only_the_service_makes_it(tmp_path):
    data = tmp_path / "data"
    parts = build_parts(Config(), data, simulate=True, clock=VirtualClock())
    assert parts.usb_port == data / "usb"
    assert not parts.usb_port.exists()
    assert parts.stick_finder.sticks() == []
    build_service_parts(parts, threading.Event())
    assert parts.usb_port.is_dir()
    (parts.usb_port / "STICK").mkdir()
    assert [stick.label for stick in parts.stick_finder.sticks()] == ["STICK"]


def test_a_configured_usb_dir_is_used_as_it_stands_on_a_pi_and_in_simulation(tmp_path):
    config = Config(export=ExportConfig(usb_dir=str(tmp_path / "media")))
    parts = build_parts(config, tmp_path / "data", simulate=True, clock=VirtualClock())
    assert parts.usb_port == tmp_path / "media"


def test_a_pi_has_no_usb_port_folder_and_powers_off_on_a_long_hold(tmp_path, monkeypatch):
    monkeypatch.setattr("appliance.assembly.build_real_sources", lambda config, clock: (None, None))
    parts = build_parts(Config(), tmp_path / "data", simulate=False, clock=VirtualClock())
    assert parts.usb_port is None
    assert type(parts.stick_finder).__name__ == "UdisksStickFinder"
    calls = []
    monkeypatch.setattr("appliance.assembly.power_off_system", lambda: calls.append("poweroff"))
    board_pins = object()
    monkeypatch.setattr("appliance.assembly.board_pin_factory", lambda gpio: board_pins)
    stop = threading.Event()
    service = build_service_parts(parts, stop)
    assert service.pin_factory is board_pins and not service.virtual_button
    assert {type(p).__name__ for p in service.panel_parts.values()} == {
        "SystemDeviceClock",
        "VcgencmdHealth",
    }
    service.shutdown()
    assert calls == ["poweroff"]
    assert not stop.is_set()  # systemd stops the service once the power-off is accepted
    assert not (tmp_path / "data" / "usb").exists()


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
