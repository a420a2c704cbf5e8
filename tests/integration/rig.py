"""A whole simulated appliance on a virtual clock, built as `vig-appliance` builds it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.assembly import build_parts
from appliance.config import Config, RecordingConfig, StorageConfig
from appliance.controller import Controller
from appliance.sources import SyntheticCamera, SyntheticMicrophone, VirtualClock
from appliance.vault.store import Vault
from tests.support.vaults import PractitionerKey, make_enrolled_vault

MIB = 1024**2

#: A config file for the CLI tests: small, fast pictures and a 1 MiB space reserve.
SMALL_CONFIG_TOML = """
[recording]
width = 320
height = 240
fps = 10
bitrate = 300000

[storage]
reserve_bytes = 1048576
"""


@dataclass
class Rig:
    config: Config
    clock: VirtualClock
    vault: Vault
    controller: Controller
    camera: SyntheticCamera
    microphone: SyntheticMicrophone
    identity: PractitionerKey | None  # None when made with enrol=False
    data_dir: Path
    stick_finder: Any

    def run_for(self, seconds: float) -> None:
        """Advance virtual time, with the once-a-second poll the supervisor would make."""
        end = self.clock.now() + seconds
        while self.clock.now() < end:
            self.clock.run_until(min(end, self.clock.now() + 1.0))
            self.controller.poll()

    def stop(self) -> None:
        self.controller.stop()
        assert self.controller.wait_idle(60), "the session did not finish within 60 s"

    def session_dir(self, session_id: str) -> Path:
        return self.data_dir / "sessions" / session_id

    def files(self, session_id: str, prefix: str) -> list[Path]:
        return sorted(self.session_dir(session_id).glob(f"{prefix}-*"))


def make_rig(
    tmp_path: Path,
    *,
    width: int = 320,
    height: int = 240,
    fps: int = 10,
    bitrate: int = 400_000,
    skew_ppm: float = 0.0,
    fs=None,
    enrol: bool = True,
    start_time: float = 100.0,
    microphone: Any = None,
    **recording: object,
) -> Rig:
    """`microphone`: a microphone built on the rig's clock (`rig_clock -> Microphone`) in
    place of the synthetic one, e.g. the real adapter over a fake sounddevice."""
    data_dir = tmp_path / "data"
    recording_config = RecordingConfig(
        width=width, height=height, fps=fps, bitrate=bitrate, **recording
    )
    config = Config(
        data_dir=str(data_dir),
        recording=recording_config,
        storage=StorageConfig(reserve_bytes=64 * MIB),
    )
    clock = VirtualClock(start_time)
    if enrol:
        vault, identity = make_enrolled_vault(
            data_dir, storage=config.storage, recording=config.recording, fs=fs
        )
    else:
        vault, identity = Vault(data_dir, config.storage, config.recording, fs=fs), None
    camera = SyntheticCamera(clock, width, height, fps, bitrate)
    microphone = (
        SyntheticMicrophone(clock, skew_ppm=skew_ppm) if microphone is None else microphone(clock)
    )
    parts = build_parts(
        config,
        data_dir,
        simulate=True,
        clock=clock,
        vault=vault,
        sources=(camera, microphone),
        usb_dir=tmp_path / "usb",
    )
    (tmp_path / "usb").mkdir()  # the port, as `run` makes it; a folder in it is a stick
    return Rig(
        config,
        clock,
        vault,
        parts.controller,
        camera,
        microphone,
        identity,
        data_dir,
        parts.stick_finder,
    )


def with_recording(config: Config, **changes: object) -> Config:
    return dataclasses.replace(config, recording=dataclasses.replace(config.recording, **changes))
