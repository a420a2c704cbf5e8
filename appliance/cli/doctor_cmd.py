"""`vig-appliance doctor`: one line per check (ok|warn|fail), exit 1 if any failed.

On a Pi whose service is running, the camera, microphone and pins belong to the service:
the doctor then checks that they are present and does not take them away from it.
Every path and tool it reads can be pointed elsewhere, so a test runs it on a simulated set-up.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from functools import partial
from pathlib import Path

from ..assembly import DoctorDevices, build_doctor_devices
from ..operations import doctor
from ..vault.store import Vault
from .context import CliContext


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--simulate", action="store_true",
                        help="check the simulated camera, microphone and mock pins")
    parser.add_argument("--listen-seconds", type=float, default=2.0,
                        help="how long to listen to the microphone (default 2)")
    parser.add_argument("--mountinfo", default="/proc/self/mountinfo")
    parser.add_argument("--swaps", default="/proc/swaps")
    parser.add_argument("--core-pattern", default="/proc/sys/kernel/core_pattern")
    parser.add_argument("--rtc-dir", default="/sys/class/rtc/rtc0")
    parser.add_argument("--ap-connection", default="vig-ap",
                        help="NetworkManager connection of the access point")
    parser.add_argument("--service", default="vig-appliance.service")
    parser.add_argument("--nmcli", default="nmcli", help="the nmcli command to run")
    parser.add_argument("--systemctl", default="systemctl", help="the systemctl command to run")
    parser.set_defaults(handler=run_doctor)


def run_doctor(ctx: CliContext, args: argparse.Namespace) -> int:
    config = ctx.config
    data_dir = ctx.data_dir
    vault = Vault(data_dir, config.storage, config.recording)
    devices = build_doctor_devices(config, simulate=args.simulate)
    state = doctor.service_state(doctor.run_command, args.systemctl, args.service)
    checks = [
        *_device_checks(ctx, args, devices, service_running=state == "active"),
        partial(doctor.check_data_area, data_dir, vault, Path(args.mountinfo),
                config.storage.start_headroom_minutes),
        partial(doctor.check_recipients, vault),
        partial(doctor.check_clock, Path(args.rtc_dir), time.time),
        (partial(doctor.check_access_point, doctor.run_command, args.nmcli, args.ap_connection)
         if devices.has_access_point
         else partial(doctor.check_panel_address, config.panel.host, config.panel.port)),
        partial(doctor.check_service, state, args.service),
        partial(doctor.check_swap, Path(args.swaps)),
        partial(doctor.check_core_dumps, Path(args.core_pattern),
                partial(resource.getrlimit, resource.RLIMIT_CORE)),
    ]
    return doctor.run_checks(checks, sys.stdout)


def _device_checks(
    ctx: CliContext, args: argparse.Namespace, devices: DoctorDevices, *, service_running: bool
):
    camera, microphone = devices.camera, devices.microphone
    synthetic = devices.held_by_service and ctx.config.recording.camera == "synthetic"
    stand_in = partial(
        doctor.Finding, doctor.WARN,
        'camera: the synthetic camera stands in (recording.camera = "synthetic")',
        "No camera stack on this machine: the recordings hold a test picture.",
    )
    if (devices.held_by_service and service_running
            and isinstance(microphone, doctor.MicrophonePresence)):
        present = (stand_in if synthetic or not isinstance(camera, doctor.CameraPresence)
                   else partial(doctor.check_camera_present, camera))
        return [
            present,
            partial(doctor.check_microphone_present, microphone),
            lambda: doctor.Finding(doctor.OK, "GPIO: held by the running service"),
        ]
    return [
        stand_in if synthetic else partial(doctor.check_camera_live, camera, devices.wait),
        partial(doctor.check_microphone, microphone, devices.wait, args.listen_seconds),
        lambda: doctor.check_gpio(ctx.config.gpio, devices.pin_factory()),
    ]
