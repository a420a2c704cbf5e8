"""Fixtures of the vault tests: a key pair, a lossy disk with plenty of space, a vault."""

from __future__ import annotations

import pytest

from appliance.config import RecordingConfig, StorageConfig
from appliance.vault import LossyFileSystem, Vault
from appliance.vault.age import X25519Identity

GIB = 1024**3


class SteppingClock:
    """A wall clock that moves only when told, so durations are exact."""

    def __init__(self, start: float = 1_764_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def identity() -> X25519Identity:
    return X25519Identity.generate()


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def disk(tmp_path) -> LossyFileSystem:
    return LossyFileSystem(tmp_path / "disk", free_bytes=64 * GIB)


@pytest.fixture
def make_vault(disk, clock):
    def make(storage: StorageConfig | None = None, recording: RecordingConfig | None = None):
        return Vault(
            disk.root / "data",
            storage or StorageConfig(),
            recording or RecordingConfig(),
            fs=disk,
            wall_clock=clock,
        )

    return make


@pytest.fixture
def vault(make_vault, identity) -> Vault:
    vault = make_vault()
    vault.add_recipient(str(identity.recipient), comment="practitioner laptop")
    return vault
