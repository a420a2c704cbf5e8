"""The one place where real or simulated parts are chosen and wired together.

Everything else receives its parts: the controller gets a vault, a camera, a microphone,
a clock and a recorder factory, and never asks which kind it got. On a machine without a
Pi camera the simulated twins stand in, which is what `--simulate` asks for explicitly.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .controller import Controller
from .errors import ApplianceError
from .export.exporter import Exporter
from .export.stick import FolderStickFinder
from .recording.recorder import Recorder
from .sources import MonotonicClock, SyntheticCamera, SyntheticMicrophone, VirtualClock
from .sources.adapter_errors import CameraNotFound, HardwareLibraryMissing, MicrophoneNotFound
from .sources.picamera2_camera import Picamera2Camera
from .sources.rtc import detect_time_source
from .sources.sounddevice_microphone import SounddeviceMicrophone
from .sources.types import Camera, Microphone
from .vault.store import Vault


class HardwareUnavailable(ApplianceError, RuntimeError):
    """The Pi's camera or microphone cannot be used on this machine."""

    code = "hardware_unavailable"
    hint = "On a laptop, run with --simulate."


@dataclass
class Parts:
    config: Config
    data_dir: Path
    clock: Any
    vault: Vault
    camera: Camera
    microphone: Microphone
    controller: Controller
    simulate: bool
    stick_finder: Any


def build_simulated_sources(config: Config, clock: Any) -> tuple[Camera, Microphone]:
    rec = config.recording
    camera = SyntheticCamera(clock, rec.width, rec.height, rec.fps, rec.bitrate)
    microphone = SyntheticMicrophone(clock, sample_rate=rec.audio_sample_rate)
    return camera, microphone


def build_real_sources(config: Config, clock: Any) -> tuple[Camera, Microphone]:
    """The Pi's camera and microphone; `HardwareUnavailable` says plainly what is missing.

    Where there is no camera stack (`recording.camera = "synthetic"`, as install.sh writes
    on plain Debian), the synthetic camera stands in beside the real microphone.
    """
    rec = config.recording
    camera: Camera
    if rec.camera == "synthetic":
        camera = SyntheticCamera(clock, rec.width, rec.height, rec.fps, rec.bitrate)
    else:
        camera = Picamera2Camera(
            clock,
            rec.width,
            rec.height,
            rec.fps,
            rec.bitrate,
            preview_width=config.panel.preview_max_width,
        )
    microphone = SounddeviceMicrophone(
        clock,
        sample_rate=rec.audio_sample_rate,
        channels=config.audio.channels,
        device_substring=config.audio.device,
    )
    try:
        if isinstance(camera, Picamera2Camera):
            camera.check_present()
        microphone.input_device()
    except (HardwareLibraryMissing, CameraNotFound, MicrophoneNotFound) as exc:
        raise HardwareUnavailable(exc.user_message()) from exc
    return camera, microphone


def build_stick_finder(config: Config, *, simulate: bool, usb_dir: Path | None) -> Any:
    """A folder standing in for the USB port in simulation; udisks2 on a Pi."""
    if simulate:
        port = Path(usb_dir if usb_dir is not None else config.export.usb_dir)
        port.mkdir(parents=True, exist_ok=True)
        return FolderStickFinder(port)
    from .export.udisks import UdisksStickFinder

    return UdisksStickFinder()


def build_recorder_factory(config: Config, *, threaded: bool):
    """Real time: a writer thread per session. Virtual clock: inline and deterministic."""

    def factory(session, on_error) -> Recorder:
        return Recorder(session, config.recording, threaded=threaded, on_error=on_error)

    return factory


def build_parts(
    config: Config,
    data_dir: Path,
    *,
    simulate: bool,
    clock: Any = None,
    vault: Vault | None = None,
    sources: tuple[Camera, Microphone] | None = None,
    usb_dir: Path | None = None,
) -> Parts:
    """Build the appliance's parts; tests pass a virtual clock and their own sources."""
    clock = clock if clock is not None else MonotonicClock()
    vault = vault if vault is not None else Vault(data_dir, config.storage, config.recording)
    if sources is None:
        build = build_simulated_sources if simulate else build_real_sources
        sources = build(config, clock)
    camera, microphone = sources
    vault.recover_interrupted()
    stick_finder = build_stick_finder(config, simulate=simulate, usb_dir=usb_dir)
    time_source = "system" if simulate else detect_time_source(Path(config.rtc_dir)).kind
    controller = Controller(
        config,
        vault,
        camera,
        microphone,
        clock,
        recorder_factory=build_recorder_factory(
            config, threaded=not isinstance(clock, VirtualClock)
        ),
        exporter=Exporter(vault, device_name=socket.gethostname()),
        find_sticks=stick_finder.sticks,
        time_source=time_source,
    )
    return Parts(
        config, data_dir, clock, vault, camera, microphone, controller, simulate, stick_finder
    )
