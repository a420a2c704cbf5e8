"""The real controller, built as `vig-appliance run --simulate` builds it, on real time.

Front-end tests need real time (gpiozero's hold thread, a browser), so the synthetic
sources run on the monotonic clock at a small size to stay light on two cores, and a
poll thread stands in for the supervisor's once-a-second heartbeat (tick events).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from appliance.assembly import Parts, build_parts
from appliance.config import Config, GpioConfig, RecordingConfig, StorageConfig
from tests.support.vaults import PractitionerKey, make_enrolled_vault

MIB = 1024**2
POLL_SECONDS = 0.5


@dataclass
class RealAppliance:
    parts: Parts
    stop_event: threading.Event
    poller: threading.Thread
    #: The practitioner's private key, to read back what the appliance wrote.
    identity: PractitionerKey

    @property
    def controller(self):
        return self.parts.controller

    def close(self) -> None:
        self.controller.shutdown()
        self.stop_event.set()
        self.poller.join(5)


def start_real_appliance(
    tmp_path: Path, *, gpio: GpioConfig | None = None, width: int = 320, height: int = 240,
    fps: int = 10, bitrate: int = 300_000,
) -> RealAppliance:  # fmt: skip
    data_dir = tmp_path / "data"
    config = Config(
        data_dir=str(data_dir),
        recording=RecordingConfig(
            width=width, height=height, fps=fps, bitrate=bitrate, pre_roll=2.0, post_roll=1.0
        ),
        storage=StorageConfig(reserve_bytes=64 * MIB, start_headroom_minutes=1.0),
        gpio=gpio or GpioConfig(),
    )
    vault, identity = make_enrolled_vault(
        data_dir, storage=config.storage, recording=config.recording
    )
    parts = build_parts(config, data_dir, simulate=True, vault=vault, usb_dir=tmp_path / "usb")
    stop_event = threading.Event()

    def poll() -> None:
        while not stop_event.wait(POLL_SECONDS):
            parts.controller.poll()

    poller = threading.Thread(target=poll, name="test-poller", daemon=True)
    poller.start()
    parts.controller.warm_up()
    return RealAppliance(parts, stop_event, poller, identity)
