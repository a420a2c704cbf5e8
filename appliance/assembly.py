"""The one place where real or simulated parts are chosen and wired together.

Everything else receives its parts: the controller gets a vault, a camera, a microphone,
a clock and a recorder factory, and never asks which kind it got. On a machine without a
Pi camera the simulated twins stand in, which is what `--simulate` asks for explicitly.
The service's front ends (`ServiceParts`: pins, panel clock and health, what a 5 s hold
does) and the doctor's devices (`DoctorDevices`) are chosen here too; where a caller must
act differently it reads a description of the choice (`usb_port`, `held_by_service`,
`has_access_point`), never the `--simulate` flag itself. The real adapters are imported
here only, and only when chosen, so a laptop never loads the Pi's libraries.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from .config import Config
from .controller import Controller
from .controller.errors import InvalidInput
from .controls.pins import board_pin_factory, mock_pin_factory
from .controls.power_off import PowerOffRefused, power_off_system
from .errors import ApplianceError
from .export.exporter import Exporter
from .export.stick import FolderStickFinder, StickFinder
from .recording.recorder import Recorder
from .sources import MonotonicClock, SyntheticCamera, SyntheticMicrophone, VirtualClock
from .sources.adapter_errors import CameraNotFound, HardwareLibraryMissing, MicrophoneNotFound
from .sources.rtc import detect_time_source
from .sources.types import Camera, Microphone, PacingClock
from .vault.store import Vault

if TYPE_CHECKING:
    from gpiozero.pins import Factory

    from .panel.device_clock import DeviceClock
    from .panel.health import Health
    from .sources.sounddevice_microphone import SounddeviceMicrophone


class HardwareUnavailable(ApplianceError, RuntimeError):
    """The Pi's camera or microphone cannot be used on this machine."""

    code = "hardware_unavailable"
    hint = "On a laptop, run with --simulate."


@dataclass
class Parts:
    config: Config
    data_dir: Path
    clock: PacingClock
    vault: Vault
    camera: Camera
    microphone: Microphone
    controller: Controller
    simulate: bool
    stick_finder: StickFinder
    #: The folder standing in for the USB port (simulation); None on a Pi (udisks2).
    usb_port: Path | None = None


class PanelHardware(TypedDict, total=False):
    """What only a Pi gives the panel; in simulation `create_app`'s twins stand in."""

    device_clock: DeviceClock
    health: Health


@dataclass
class ServiceParts:
    """What the service's front ends get that differs between a Pi and simulation."""

    #: For every gpiozero device: a MockFactory in simulation, None (gpiozero's own) on a Pi.
    pin_factory: Factory | None
    #: Whether the panel drives the mock button pin (simulation only).
    virtual_button: bool
    #: What a 5 s hold when idle does: power the Pi off, or stop the simulated appliance.
    shutdown: Callable[[], None]
    #: The panel's device clock and health: the Pi's, or their simulated twins.
    panel_parts: PanelHardware = field(default_factory=lambda: PanelHardware())


@dataclass
class DoctorDevices:
    """The devices `vig-appliance doctor` checks, and what it may do with them."""

    camera: Camera
    microphone: Microphone
    #: Lets a live check run for some seconds: real time, or the virtual clock.
    wait: Callable[[float], Any]
    #: Makes the pin factory only when the pins are checked (a Pi's running service holds them).
    pin_factory: Callable[[], Factory | None]
    #: The real camera, microphone and pins belong to the service while it runs.
    held_by_service: bool
    #: A Pi serves its own Wi-Fi access point; in simulation the panel is on this machine.
    has_access_point: bool


def build_simulated_sources(config: Config, clock: PacingClock) -> tuple[Camera, Microphone]:
    rec = config.recording
    camera = SyntheticCamera(clock, rec.width, rec.height, rec.fps, rec.bitrate)
    microphone = SyntheticMicrophone(clock, sample_rate=rec.audio_sample_rate)
    return camera, microphone


def _real_sources(config: Config, clock: PacingClock) -> tuple[Camera, SounddeviceMicrophone]:
    """The Pi's camera and microphone, not yet opened. Where there is no camera stack
    (`recording.camera = "synthetic"`, as install.sh writes on plain Debian), the synthetic
    camera stands in beside the real microphone."""
    from .sources.picamera2_camera import Picamera2Camera
    from .sources.sounddevice_microphone import SounddeviceMicrophone

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
    return camera, microphone


def build_real_sources(config: Config, clock: PacingClock) -> tuple[Camera, Microphone]:
    """The Pi's camera and microphone; `HardwareUnavailable` says plainly what is missing."""
    camera, microphone = _real_sources(config, clock)
    try:
        check_present = getattr(camera, "check_present", None)  # the synthetic one has none
        if check_present is not None:
            check_present()
        microphone.input_device()
    except (HardwareLibraryMissing, CameraNotFound, MicrophoneNotFound) as exc:
        raise HardwareUnavailable(exc.user_message()) from exc
    return camera, microphone


def simulated_usb_port(config: Config, data_dir: Path, usb_dir: Path | None) -> Path:
    """`--usb-dir` as given, else `export.usb_dir`, which a relative path puts in the data
    dir: never in whatever folder a command happens to run from."""
    if usb_dir is not None:
        return Path(usb_dir)
    return Path(data_dir) / config.export.usb_dir


def build_stick_finder(usb_port: Path | None) -> StickFinder:
    """A folder standing in for the USB port in simulation; udisks2 on a Pi (no folder).

    The folder is not made here: a missing port has no sticks, and only the service
    (`build_service_parts`) makes it, so `record` leaves nothing behind."""
    if usb_port is not None:
        return FolderStickFinder(usb_port)
    from .export.udisks import UdisksStickFinder

    return UdisksStickFinder()


def build_recorder_factory(config: Config, *, threaded: bool):
    """Real time: a writer thread per session. Virtual clock: inline and deterministic."""

    def factory(session, on_error) -> Recorder:
        return Recorder(session, config.recording, threaded=threaded, on_error=on_error)

    return factory


def headless_clock(*, simulate: bool, fast: bool) -> PacingClock:
    """`record --fast` runs on a virtual clock, which only simulated sources can follow."""
    if fast and not simulate:
        raise InvalidInput("--fast needs --simulate: real hardware runs in real time")
    return VirtualClock() if fast else MonotonicClock()


def build_parts(
    config: Config,
    data_dir: Path,
    *,
    simulate: bool,
    clock: PacingClock | None = None,
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
    vault.device_key()  # made here at the first start, never in an image build
    usb_port = simulated_usb_port(config, data_dir, usb_dir) if simulate else None
    stick_finder = build_stick_finder(usb_port)
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
        config,
        data_dir,
        clock,
        vault,
        camera,
        microphone,
        controller,
        simulate,
        stick_finder,
        usb_port,
    )


def build_service_parts(parts: Parts, stop_event: threading.Event) -> ServiceParts:
    """The front ends of `vig-appliance run`: mock pins, a virtual button and the simulated
    USB port folder in simulation; gpiozero's pins, vcgencmd and poweroff on a Pi."""
    if parts.simulate:
        from .panel.device_clock import SimulatedDeviceClock
        from .panel.health import SimulatedHealth

        if parts.usb_port is not None:
            parts.usb_port.mkdir(parents=True, exist_ok=True)
        trusted = parts.config.panel.simulated_clock_trusted
        return ServiceParts(
            pin_factory=mock_pin_factory(),
            virtual_button=True,
            shutdown=stop_event.set,
            panel_parts={
                "device_clock": SimulatedDeviceClock(trusted=trusted),
                "health": SimulatedHealth(),
            },
        )
    from .panel.device_clock import SystemDeviceClock
    from .panel.health import VcgencmdHealth

    def power_off() -> None:
        """On success systemd stops the service (SIGTERM saves everything); a refusal is
        reported on the panel and the LEDs, and the appliance carries on."""
        try:
            power_off_system()
        except PowerOffRefused as exc:
            parts.controller.report_error(exc)
            raise

    return ServiceParts(
        pin_factory=board_pin_factory(parts.config.gpio),
        virtual_button=False,
        shutdown=power_off,
        panel_parts={"device_clock": SystemDeviceClock(), "health": VcgencmdHealth()},
    )


def build_doctor_devices(config: Config, *, simulate: bool) -> DoctorDevices:
    """The simulated devices on a virtual clock, or the Pi's (not yet opened) on real time."""
    if simulate:
        clock = VirtualClock()
        camera, microphone = build_simulated_sources(config, clock)

        def wait(seconds: float) -> None:
            clock.run_until(clock.now() + seconds)

        return DoctorDevices(
            camera,
            microphone,
            wait,
            mock_pin_factory,
            held_by_service=False,
            has_access_point=False,
        )
    camera, microphone = _real_sources(config, MonotonicClock())
    return DoctorDevices(
        camera,
        microphone,
        threading.Event().wait,
        lambda: board_pin_factory(config.gpio),
        held_by_service=True,
        has_access_point=True,
    )
