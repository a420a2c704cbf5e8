"""Fixtures of the vault tests: a key pair, a lossy disk with plenty of space, a vault."""

from __future__ import annotations

import pytest

from appliance.config import RecordingConfig, StorageConfig
from appliance.sources import VirtualClock
from appliance.vault import LossyFileSystem, Vault
from appliance.vault.age import X25519Identity
from tests.support.clocks import WALL_START
from tests.support.vaults import make_enrolled_vault

GIB = 1024**3


@pytest.fixture
def identity() -> X25519Identity:
    return X25519Identity.generate()


@pytest.fixture
def clock() -> VirtualClock:
    """The vault's wall clock moves only when the test advances it, so durations are exact."""
    return VirtualClock(WALL_START)


@pytest.fixture
def disk(tmp_path) -> LossyFileSystem:
    return LossyFileSystem(tmp_path / "disk", free_bytes=64 * GIB)


@pytest.fixture
def make_vault(disk, clock):
    """A vault on the lossy disk with no recipient enrolled."""

    def make(storage: StorageConfig | None = None, recording: RecordingConfig | None = None):
        return Vault(
            disk.root / "data",
            storage or StorageConfig(),
            recording or RecordingConfig(),
            fs=disk,
            wall_clock=clock.now,
        )

    return make


@pytest.fixture
def make_enrolled(disk, clock, identity):
    """A vault on the lossy disk with `identity` enrolled."""

    def make(storage: StorageConfig | None = None, recording: RecordingConfig | None = None):
        return make_enrolled_vault(
            disk.root / "data",
            storage=storage or StorageConfig(),
            recording=recording,
            fs=disk,
            wall_clock=clock.now,
            identity=identity,
            comment="practitioner laptop",
        ).vault

    return make


@pytest.fixture
def vault(make_enrolled) -> Vault:
    return make_enrolled()
