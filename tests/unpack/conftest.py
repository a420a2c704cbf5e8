"""An exported stick (a complete and an interrupted session), made once per module."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.export.exporter import Exporter
from appliance.export.stick import FolderStick
from tests.support.sessions import MadeSession, record_complete_and_interrupted
from tests.support.vaults import PractitionerKey


@dataclass
class ExportedStick:
    root: Path
    key: Path
    identity: PractitionerKey
    complete: MadeSession
    interrupted: MadeSession

    def copy_to(self, where: Path) -> Path:
        shutil.copytree(self.root, where)
        return where


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> ExportedStick:
    base = tmp_path_factory.mktemp("exported")
    recorded = record_complete_and_interrupted(base / "data")
    stick = base / "STICK"
    stick.mkdir()
    result = Exporter(recorded.vault, device_name="vig").export(FolderStick(stick))
    assert result.ok
    key = base / "key.txt"
    identity = recorded.identity
    key.write_text(f"# created: test\n# public key: {identity.recipient}\n{identity}\n")
    return ExportedStick(stick, key, identity, recorded.complete, recorded.interrupted)
