"""Every stick gets the offline viewer, and a README that names its SHA-256."""

from __future__ import annotations

import hashlib

from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME
from appliance.export.stick import FolderStick
from appliance.viewer import VIEWER_NAME, viewer_bytes


def test_an_export_writes_the_viewer_and_a_readme_naming_its_hash(recorded, tmp_path):
    stick = tmp_path / "usb" / "STICK"
    stick.mkdir(parents=True)

    result = Exporter(recorded.vault, device_name="vig-01").export(FolderStick(stick))

    assert result.ok
    written = (stick / EXPORT_DIR_NAME / VIEWER_NAME).read_bytes()
    assert written == viewer_bytes()
    readme = (stick / EXPORT_DIR_NAME / "README.txt").read_text()
    assert hashlib.sha256(written).hexdigest() in readme
    assert "{viewer_sha256}" not in readme
    assert readme.index("vig-viewer.html") < readme.index("vig-unpack")
    assert "pip install vig-appliance" not in readme


def test_a_different_viewer_already_on_the_stick_is_left_and_noted(recorded, tmp_path):
    stick = tmp_path / "usb" / "STICK"
    (stick / EXPORT_DIR_NAME).mkdir(parents=True)
    (stick / EXPORT_DIR_NAME / VIEWER_NAME).write_text("<html>not ours</html>")

    result = Exporter(recorded.vault, device_name="vig-01").export(FolderStick(stick))

    assert result.ok and result.exported
    assert any(VIEWER_NAME in note for note in result.notes)
