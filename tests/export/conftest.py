"""Fixtures of the export tests: a vault holding a complete and an interrupted session."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.vault.age import X25519Identity
from appliance.vault.store import Vault
from tests.support.sessions import MadeSession, make_session, new_vault


class SteppingClock:
    """Wall clock for the vault: one minute per call, so session ids are distinct and ordered."""

    def __init__(self, start: float = 1_764_000_000.0) -> None:
        self._ticks = itertools.count()
        self._start = start

    def __call__(self) -> float:
        return self._start + 60.0 * next(self._ticks)


@dataclass
class Recorded:
    vault: Vault
    identity: X25519Identity
    complete: MadeSession
    interrupted: MadeSession
    data_dir: Path

    def ciphertext(self, session_id: str) -> dict[str, bytes]:
        directory = self.vault.sessions_dir / session_id
        return {p.name: p.read_bytes() for p in directory.glob("*.age")}


@pytest.fixture
def recorded(tmp_path) -> Recorded:
    vault, identity = new_vault(tmp_path / "data", SteppingClock())
    complete = make_session(vault, part_seconds=(3.0, 2.0), mark_times=(1.2, 3.5))
    interrupted = make_session(vault, part_seconds=(2.0, 5.0), mark_times=(0.5,),
                               interrupted=True, wall_start=1_764_003_600.0)
    return Recorded(vault, identity, complete, interrupted, tmp_path / "data")
