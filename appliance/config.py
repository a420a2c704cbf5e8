"""Typed configuration, loaded from TOML, rejecting unknown keys.

Every path the appliance uses comes from here (or from the data dir resolved here); no
module hard-codes one. A config object is built once at start-up and passed into the parts
that need it: there is no module-level config.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError

GIB = 1024**3

DEFAULT_CONFIG_FILE = Path("/etc/vig-appliance/config.toml")
PROVISIONED_DATA_DIR = Path("/var/lib/vig-appliance")
FALLBACK_DATA_DIR = Path("var/vig")


@dataclass(frozen=True)
class RecordingConfig:
    width: int = 1920
    height: int = 1080
    fps: int = 30
    bitrate: int = 6_000_000
    #: AAC bit rate; also what the vault counts when it turns free space into minutes.
    audio_bitrate: int = 128_000
    audio_sample_rate: int = 48_000
    part_max_seconds: float = 900.0
    part_max_bytes: int = 1 * GIB
    sync_interval: float = 1.0
    pre_roll: float = 10.0
    post_roll: float = 5.0
    mark_latency: float = 0.0
    warm_minutes: float = 10.0
    #: "picamera2" on a Pi; "synthetic" where there is no camera stack (the virtual Pi).
    camera: Literal["picamera2", "synthetic"] = "picamera2"


@dataclass(frozen=True)
class StorageConfig:
    reserve_bytes: int = 1 * GIB
    start_headroom_minutes: float = 10.0


@dataclass(frozen=True)
class GpioConfig:
    button: int = 17
    red_led: int = 27
    green_led: int = 22
    stop_hold_seconds: float = 3.0
    shutdown_hold_seconds: float = 5.0
    #: The gpiochip the pins are on; unset lets gpiozero choose (appliance/controls/pins.py).
    chip: int | None = None
    #: Only for a board that reports no Pi revision (plain Debian): the one to assume, in hex.
    board_revision: str = ""


@dataclass(frozen=True)
class AudioConfig:
    device: str = ""
    channels: int = 1


@dataclass(frozen=True)
class PanelConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 12
    preview_max_width: int = 640
    preview_fps: float = 10.0
    preview_max_viewers: int = 2
    status_max_streams: int = 4
    login_failures_per_minute: int = 5
    #: In simulation: whether the device clock counts as set (else the panel offers the phone's).
    simulated_clock_trusted: bool = False


@dataclass(frozen=True)
class ExportConfig:
    #: Where sticks appear: on a Pi where udisks2 mounts them (the unit may write there);
    #: in simulation the folder standing in for the USB port, a relative one in the data dir.
    usb_dir: str = "usb"
    auto_export: bool = True


@dataclass(frozen=True)
class Config:
    data_dir: str | None = None
    log_level: str = "INFO"
    #: The Pi 5's real-time clock in sysfs; a valid time there makes "rtc" the time source.
    rtc_dir: str = "/sys/class/rtc/rtc0"
    recording: RecordingConfig = field(default_factory=RecordingConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    gpio: GpioConfig = field(default_factory=GpioConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    panel: PanelConfig = field(default_factory=PanelConfig)
    export: ExportConfig = field(default_factory=ExportConfig)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _check_type(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        annotation = next(a for a in options if a is not type(None))
    if origin is Literal:
        options = typing.get_args(annotation)
        if value not in options:
            names = ", ".join(repr(option) for option in options)
            raise ConfigError(f"config: {where} must be one of {names}, not {value!r}")
        return value
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if not isinstance(value, dict):
            raise ConfigError(f"config: [{where}] must be a table")
        return _build(annotation, value, where)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, bool):
        raise ConfigError(f"config: {where} must be an integer, not {value!r}")
    if not isinstance(value, annotation):
        raise ConfigError(
            f"config: {where} must be {annotation.__name__}, not {type(value).__name__}"
        )
    return value


def _build(cls: type, raw: dict[str, Any], prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            name = f"{prefix}.{key}" if prefix else key
            raise ConfigError(f"config: unknown key {name!r}")
    values = {}
    for key, value in raw.items():
        where = f"{prefix}.{key}" if prefix else key
        values[key] = _check_type(value, hints[key], where)
    return cls(**values)


def config_from_dict(raw: dict[str, Any]) -> Config:
    """Build a Config from parsed TOML, naming the first unknown or mistyped key."""
    return _build(Config, raw)


def load_config(path: Path | None) -> tuple[Config, Path | None]:
    """Load the config file given, else the system one if it exists, else defaults."""
    if path is None and DEFAULT_CONFIG_FILE.exists():
        path = DEFAULT_CONFIG_FILE
    if path is None:
        return Config(), None
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config: file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path} is not valid TOML: {exc}") from exc
    return config_from_dict(raw), path


def resolve_data_dir(cli_value: str | None, config: Config, environ: dict[str, str]) -> Path:
    """Resolve the data dir as DESIGN.md orders it: flag, env, config, provisioned, fallback."""
    for candidate in (cli_value, environ.get("VIG_DATA_DIR"), config.data_dir):
        if candidate:
            return Path(candidate).expanduser()
    if PROVISIONED_DATA_DIR.exists():
        return PROVISIONED_DATA_DIR
    return FALLBACK_DATA_DIR


def announce_data_dir(path: Path, stream: typing.TextIO | None = None) -> None:
    """Name the data dir on stderr, so stdout stays clean for piped output.

    The stream is looked up at call time: a default bound at import would miss a
    redirected sys.stderr (pytest's capsys, contextlib.redirect_stderr).
    """
    print(f"vig-appliance: data dir {os.path.abspath(path)}", file=stream or sys.stderr)
