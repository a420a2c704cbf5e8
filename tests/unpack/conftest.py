"""An exported stick (a complete and an interrupted session), made once per module."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.export.exporter import Exporter
from appliance.export.stick import FolderStick
from appliance.vault.age import X25519Identity
from tests.export.conftest import SteppingClock
from tests.support.sessions import MadeSession, make_session, new_vault


@dataclass
class ExportedStick:
    root: Path
    key: Path
    identity: X25519Identity
    complete: MadeSession
    interrupted: MadeSession

    def copy_to(self, where: Path) -> Path:
        shutil.copytree(self.root, where)
        return where


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> ExportedStick:
    base = tmp_path_factory.mktemp("exported")
    vault, identity = new_vault(base / "data", SteppingClock())
    complete = make_session(vault, part_seconds=(3.0, 2.0), mark_times=(1.2, 3.5))
    interrupted = make_session(vault, part_seconds=(2.0, 5.0), mark_times=(0.5,),
                               interrupted=True, wall_start=1_764_003_600.0)
    stick = base / "STICK"
    stick.mkdir()
    result = Exporter(vault, device_name="vig").export(FolderStick(stick))
    assert result.ok
    key = base / "key.txt"
    key.write_text(f"# created: test\n# public key: {identity.recipient}\n{identity}\n")
    return ExportedStick(stick, key, identity, complete, interrupted)
