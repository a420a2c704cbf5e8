"""vig-unpack tells sessions the device exported from files anyone could have made.

Anyone with the practitioner's public key can make a mark that decrypts. Each manifest is
signed by the device's own key, which the laptop accepts on first use; the manifest lists
every file and the audit chain's head, so forged, extra and missing files, a changed key
and an audit log cut since an earlier export are each named.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil

from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME, MANIFEST_NAME
from appliance.export.signature import SIGNATURE_NAME
from appliance.export.stick import FolderStick
from appliance.unpack.cli import EXIT_OK, EXIT_SOME_FAILED, main
from appliance.unpack.devices import AcceptedDevices
from appliance.vault.age import AgeWriter
from appliance.vault.device_key import fingerprint, public_key_bytes
from tests.support.clocks import MinutePerReadClock
from tests.support.sessions import make_session
from tests.support.vaults import make_enrolled_vault


def run(*args: str) -> tuple[int, str]:
    stream = io.StringIO()
    code = main(list(args), ask_passphrase=lambda prompt: "", stream=stream)
    return code, stream.getvalue()


class Device:
    """A device with its vault, an exported stick, and the practitioner's key file."""

    def __init__(self, tmp_path):
        self.vault, self.identity = make_enrolled_vault(
            tmp_path / "data", wall_clock=MinutePerReadClock()
        )
        self.stick = tmp_path / "STICK"
        self.stick.mkdir()
        self.key = tmp_path / "key.txt"
        self.key.write_text(f"{self.identity}\n")
        self.devices = tmp_path / "laptop" / "devices.json"
        self.out = tmp_path / "out"

    def export(self):
        result = Exporter(self.vault, device_name="vig").export(FolderStick(self.stick))
        assert result.ok, result.summary()
        return result

    def unpack(self, out: str = "out") -> tuple[int, str]:
        shutil.rmtree(self.out / out, ignore_errors=True)
        return run(str(self.stick), "-i", str(self.key), "--devices", str(self.devices),
                   "--out", str(self.out / out))

    def folder(self, session_id):
        return self.stick / EXPORT_DIR_NAME / session_id

    def fingerprint(self) -> str:
        return fingerprint(public_key_bytes(self.vault.device_key()))

    def forge_mark(self, session_id, number: int) -> str:
        name = f"mark-{number:04d}.json.age"
        with open(self.folder(session_id) / name, "wb") as fh:
            writer = AgeWriter(fh, [self.identity.recipient])
            writer.write(json.dumps({"number": number, "media_time": 1.0,
                                     "note": "FORGED"}).encode())
            writer.close()
        return name


def test_the_first_export_is_trusted_on_first_use_with_a_warning_naming_the_key(tmp_path):
    device = Device(tmp_path)
    session = make_session(device.vault)
    device.export()

    code, text = device.unpack("first")

    assert code == EXIT_OK, text
    assert f"WARNING: First export seen from device 'vig' (key {device.fingerprint()})" in text
    accepted = AcceptedDevices.load(device.devices).accepted("vig")
    assert accepted is not None and fingerprint(accepted.public_key) == device.fingerprint()
    code, text = device.unpack("again")
    assert code == EXIT_OK, text
    assert "WARNING" not in text and "UNTRUSTED" not in text
    assert (device.out / "again" / session.id / "marks.csv").exists()


def test_a_forged_mark_added_to_a_session_on_the_stick_is_named_and_not_used(tmp_path):
    device = Device(tmp_path)
    session = make_session(device.vault)
    device.export()
    name = device.forge_mark(session.id, 9)

    code, text = device.unpack()

    assert code == EXIT_SOME_FAILED
    assert f"{name} is not in the signed manifest: it was added after the export" in text
    assert "FORGED" not in (device.out / "out" / session.id / "marks.csv").read_text()


def test_a_forged_mark_listed_in_an_edited_manifest_makes_the_session_untrusted(tmp_path):
    device = Device(tmp_path)
    session = make_session(device.vault)
    device.export()
    name = device.forge_mark(session.id, 9)
    manifest_path = device.folder(session.id) / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_bytes())
    data = (device.folder(session.id) / name).read_bytes()
    manifest["files"].append({"name": name, "size": len(data), "complete": True,
                              "sha256": hashlib.sha256(data).hexdigest()})
    manifest["mark_count"] += 1
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    code, text = device.unpack()

    assert code == EXIT_SOME_FAILED
    assert (
        f"UNTRUSTED: session {session.id}: {SIGNATURE_NAME} does not match MANIFEST.json: "
        "the manifest was changed after the device signed it"
    ) in text


def test_a_missing_or_changed_file_is_named(tmp_path):
    device = Device(tmp_path)
    session = make_session(device.vault)
    device.export()
    (device.folder(session.id) / "clip-0001.mp4.age").unlink()
    with open(device.folder(session.id) / "part-0001.mp4.age", "r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00" * 16)

    code, text = device.unpack()

    assert code == EXIT_SOME_FAILED
    assert "clip-0001.mp4.age is damaged: it is missing" in text
    assert "part-0001.mp4.age is damaged: its content differs from the manifest" in text


def test_a_missing_signature_makes_the_session_untrusted(tmp_path):
    device = Device(tmp_path)
    session = make_session(device.vault)
    device.export()
    (device.folder(session.id) / SIGNATURE_NAME).unlink()

    code, text = device.unpack()

    assert code == EXIT_SOME_FAILED
    assert f"UNTRUSTED: session {session.id}: {SIGNATURE_NAME} is missing" in text


def test_a_changed_key_for_a_known_device_is_a_loud_warning_and_not_accepted(tmp_path):
    device = Device(tmp_path)
    make_session(device.vault)
    device.export()
    assert device.unpack("first")[0] == EXIT_OK
    other = Device(tmp_path / "impostor")  # another device key under the same name
    session = make_session(other.vault)
    other.export()
    other.devices = device.devices

    code, text = other.unpack()

    assert code == EXIT_SOME_FAILED
    assert (
        f"UNTRUSTED: session {session.id} is signed by a DIFFERENT key for device 'vig' "
        f"({other.fingerprint()}) than the one accepted"
    ) in text
    accepted = AcceptedDevices.load(device.devices).accepted("vig")
    assert accepted is not None and fingerprint(accepted.public_key) == device.fingerprint()


def test_exports_over_time_to_one_stick_are_trusted(tmp_path):
    device = Device(tmp_path)
    make_session(device.vault)
    device.export()
    later = make_session(device.vault, wall_start=1_764_010_000.0)
    device.export()
    (device.folder(later.id) / ".DS_Store").write_bytes(b"a Mac opened this folder")

    code, text = device.unpack()

    assert code == EXIT_OK, text
    assert "UNTRUSTED" not in text


def test_a_session_removed_from_the_card_with_its_audit_entries_is_detected(tmp_path):
    device = Device(tmp_path)
    exported = make_session(device.vault)
    hidden = device.vault.create_session({"case_code": "HIDDEN"})  # still recording
    device.export()  # the head signed for `exported` covers `hidden` being started
    # Someone with the card removes the session and cuts the audit log back to before it.
    log = device.vault.audit.path
    lines = log.read_bytes().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines)
               if json.loads(line).get("session") == hidden.id)
    log.write_bytes(b"".join(lines[:cut]))
    shutil.rmtree(device.vault.sessions_dir / hidden.id)
    later = make_session(device.vault, wall_start=1_764_020_000.0)
    device.export()

    code, text = device.unpack()

    assert code == EXIT_SOME_FAILED
    assert (
        f"UNTRUSTED: the audit log of device 'vig' was cut or rewritten after session "
        f"{exported.id} was exported: the log signed at the later export of {later.id} "
        "no longer holds entry"
    ) in text
    assert "A session may have been removed from the device without trace." in text
