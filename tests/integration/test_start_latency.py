"""On the real clock, a start records an IDR captured within 150 ms of `start()`."""

from __future__ import annotations

import time

from appliance.assembly import build_parts
from appliance.config import Config, RecordingConfig, StorageConfig
from appliance.sources import MonotonicClock, SyntheticCamera, SyntheticMicrophone
from appliance.vault.store import Vault
from tests.support.vaults import make_enrolled_vault

from .media import analyse, decrypt

STRIP_MODULUS_MS = 2**32


class SlowCardVault(Vault):
    """A vault on an SD card whose fsyncs make creating a session take 60 ms."""

    def create_session(self, metadata):
        time.sleep(0.060)
        return super().create_session(metadata)


def test_the_first_recorded_frame_is_captured_within_150_ms_of_start(tmp_path):
    """Even on a slow card: the IDR asked for must not pass while the session is created."""
    recording = RecordingConfig(width=640, height=360, fps=30, bitrate=1_000_000)
    config = Config(
        data_dir=str(tmp_path / "data"),
        recording=recording,
        storage=StorageConfig(reserve_bytes=1024**2),
    )
    clock = MonotonicClock()
    vault, identity = make_enrolled_vault(
        tmp_path / "data", storage=config.storage, recording=config.recording,
        vault_type=SlowCardVault,
    )
    sources = (SyntheticCamera(clock, 640, 360, 30, 1_000_000), SyntheticMicrophone(clock))
    parts = build_parts(
        config,
        tmp_path / "data",
        simulate=True,
        clock=clock,
        vault=vault,
        sources=sources,
        usb_dir=tmp_path / "usb",
    )
    controller = parts.controller
    controller.warm_up()
    try:
        time.sleep(1.0)
        started = clock.now()
        session_id = controller.start()
        time.sleep(2.0)
        controller.stop()
        assert controller.wait_idle(30)
    finally:
        controller.shutdown()
    part = tmp_path / "data" / "sessions" / session_id / "part-0001.mp4.age"
    media = analyse(decrypt(part, identity), 640)
    assert media.first_keyframe
    started_ms = round(started * 1000) % STRIP_MODULUS_MS
    delay_ms = (media.strip_ms[0] - started_ms) % STRIP_MODULUS_MS
    if delay_ms > STRIP_MODULUS_MS // 2:
        delay_ms -= STRIP_MODULUS_MS  # a periodic IDR captured while start() ran
    assert -1000 / 30 <= delay_ms <= 150, f"first frame captured {delay_ms} ms after start()"
