"""A real export to open in the viewer: sessions recorded by the appliance's own CLI with the
synthetic camera and microphone, for three kinds of key, and the built viewer to open it with."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.viewer import VIEWER_NAME, viewer_bytes

PASSPHRASE = "a long and careful passphrase"
CASE = "CASE-7Q4X"
#: 960 px wide, so the time strip's blocks are full size; 5 s parts make three of a 13 s session.
CONFIG_TOML = """
[recording]
width = 960
height = 540
fps = 30
bitrate = 1500000
part_max_seconds = 5.0
pre_roll = 3.0
post_roll = 2.0

[storage]
reserve_bytes = 1048576
"""
MARKS = "4:guiding,9:being-attentive"


@dataclass(frozen=True)
class Export:
    root: Path  # the stick's VIG-EXPORT folder
    keys: dict[str, Path]  # x25519, post_quantum, passphrase, stranger
    session_id: str
    viewer: Path

    def copy_to(self, where: Path) -> Export:
        """A copy of the whole export, for tests that damage it."""
        shutil.copytree(self.root.parent, where)
        return Export(where / self.root.name, self.keys, self.session_id, self.viewer)

    @property
    def session(self) -> Path:
        return self.root / self.session_id


def _cli(data_dir: Path, config: Path, *args: str, stdin: str | None = None) -> str:
    command = [sys.executable, "-m", "appliance.cli", "--data-dir", str(data_dir),
               "--config", str(config), *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=300,
                            check=False, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _new_key(data_dir: Path, config: Path, out: Path, *flags: str, stdin: str | None = None) -> str:
    printed = _cli(data_dir, config, "keys", "new", "--out", str(out), *flags, stdin=stdin)
    return printed.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def export(tmp_path_factory) -> Export:
    return make_export(tmp_path_factory.mktemp("viewer-export"))


def make_export(base: Path) -> Export:
    """Keys, one 13 s session in three parts with two marks, exported to a folder stick."""
    data_dir, config, keys = base / "data", base / "config.toml", base / "keys"
    keys.mkdir(parents=True)
    config.write_text(CONFIG_TOML)
    paths = {name: keys / f"{name}.txt" for name in ("x25519", "post_quantum", "passphrase",
                                                     "stranger")}
    recipients = [
        _new_key(data_dir, config, paths["x25519"]),
        _new_key(data_dir, config, paths["post_quantum"], "--post-quantum"),
        _new_key(data_dir, config, paths["passphrase"], "--passphrase", stdin=PASSPHRASE + "\n"),
    ]
    _new_key(data_dir, config, paths["stranger"])
    for recipient in recipients:
        _cli(data_dir, config, "keys", "add", recipient)
    session_id = _cli(data_dir, config, "record", "--simulate", "--fast", "--seconds", "13",
                      "--case", CASE, "--mark-at", MARKS).strip().splitlines()[-1]
    stick = base / "stick"
    stick.mkdir()
    _cli(data_dir, config, "export", "--to", str(stick))
    viewer = base / VIEWER_NAME
    viewer.write_bytes(viewer_bytes())
    return Export(stick / "VIG-EXPORT", paths, session_id, viewer)
