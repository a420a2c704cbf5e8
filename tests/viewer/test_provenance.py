"""The viewer checks who made an export: the device's signature on MANIFEST.json, against
the accepted-devices file that vig-unpack keeps, picked together with the key file."""

from __future__ import annotations

import io
import json

from appliance.unpack.cli import main as unpack_main
from appliance.vault.age import encrypt_bytes, parse_identity_file

from .viewer_page import viewer_page


def accepted_devices(export, tmp_path):
    """vig-unpack trusts the device on first use and records it in its devices file."""
    devices = tmp_path / "devices.json"
    argv = [str(export.root), "-i", str(export.keys["x25519"]), "--out",
            str(tmp_path / "unpacked"), "--devices", str(devices)]
    code = unpack_main(argv, stream=io.StringIO())
    assert code == 0 and devices.exists()
    return devices


def open_with(viewer, export, devices=None):
    viewer.page.goto(export.viewer.as_uri())
    viewer.page.set_input_files("#folder-input", str(export.root))
    viewer.page.set_input_files("#key-input", str(export.keys["x25519"]))
    if devices is not None:
        viewer.page.set_input_files("#devices-input", str(devices))
        viewer.page.wait_for_selector("#devices-status:not([hidden])")
    viewer.page.click("#open-button")
    return viewer.wait_for_list()


def test_an_export_from_an_accepted_device_says_so(export, tmp_path):
    devices = accepted_devices(export, tmp_path)
    with viewer_page() as viewer:
        rows = open_with(viewer, export, devices)
        assert "accepted device" in rows and "UNTRUSTED" not in rows


def test_without_the_devices_file_the_fingerprint_is_shown_to_compare(export):
    with viewer_page() as viewer:
        rows = open_with(viewer, export)
        assert "new device" in rows and "ed25519:" in rows and "vig-appliance device-key" in rows


def test_an_edited_manifest_is_untrusted(export, tmp_path):
    edited = export.copy_to(tmp_path / "stick")
    manifest = edited.session / "MANIFEST.json"
    document = json.loads(manifest.read_text())
    document["duration_s"] = 1.0
    manifest.write_text(json.dumps(document))
    devices = accepted_devices(export, tmp_path)
    with viewer_page() as viewer:
        rows = open_with(viewer, edited, devices)
        assert "UNTRUSTED: MANIFEST.json was changed after the device signed it" in rows


def test_a_forged_mark_is_named_and_not_used(export, tmp_path):
    forged = export.copy_to(tmp_path / "stick")
    identity = parse_identity_file(export.keys["x25519"].read_text())[0]
    mark = {"number": 3, "media_time": 11.0, "tag": "guiding", "tag_label": "Guiding",
            "note": "never made on the device"}
    (forged.session / "mark-0003.json.age").write_bytes(
        encrypt_bytes(json.dumps(mark).encode(), [identity.recipient]))
    devices = accepted_devices(export, tmp_path)
    with viewer_page() as viewer:
        rows = open_with(viewer, forged, devices)
        assert "mark-0003.json.age is not in the signed manifest" in rows
        viewer.watch_first()
        assert "never made on the device" not in viewer.page.inner_text("#marks")
        assert viewer.page.locator("#marks li").count() == 2
