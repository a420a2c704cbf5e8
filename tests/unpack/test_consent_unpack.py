"""vig-unpack and the consent record: shown in words where the device exported one, "consent
not recorded" where it did not, and a record added to the stick afterwards never used."""

from __future__ import annotations

import io
import shutil

import pytest

from appliance.export.exporter import Exporter
from appliance.export.manifest import EXPORT_DIR_NAME
from appliance.export.stick import FolderStick
from appliance.unpack.cli import EXIT_SOME_FAILED, main
from appliance.vault.age import encrypt_bytes
from appliance.vault.session_files import CONSENT_FILE, padded_json
from tests.support.sessions import record_complete_and_interrupted

RECORD = {"format": "vig-consent/1", "filming": True, "training": False, "family_copy": True,
          "delete_by": "2025-01-31", "delete_by_rule": "given", "involvement_ends": None}


@pytest.fixture(scope="module")
def stick(tmp_path_factory):
    base = tmp_path_factory.mktemp("consent")
    recorded = record_complete_and_interrupted(base / "data")
    recorded.vault.write_consent(recorded.complete.id, RECORD)
    root = base / "STICK"
    root.mkdir()
    assert Exporter(recorded.vault, device_name="vig").export(FolderStick(root)).ok
    key = base / "key.txt"
    key.write_text(f"{recorded.identity}\n")
    return root, key, recorded


def unpack(root, key, out, devices) -> tuple[int, str]:
    stream = io.StringIO()
    code = main([str(root), "-i", str(key), "--out", str(out), "--devices", str(devices)],
                stream=stream, cwd=out.parent)
    return code, stream.getvalue()


def test_the_record_and_its_passed_date_are_shown_and_its_absence_said(stick, tmp_path):
    root, key, recorded = stick
    code, text = unpack(root, key, tmp_path / "out", tmp_path / "devices.json")
    assert code == 0, text
    complete, interrupted = recorded.complete.id, recorded.interrupted.id
    assert (f"{complete}: filming: yes; clips in supervision or training: no; stills or clips "
            "for the family: yes; delete every copy by: 2025-01-31 (passed: delete every copy "
            "now)") in text
    assert f"{interrupted}: consent not recorded: make no copy for the family" in text
    page = (tmp_path / "out" / complete / "index.html").read_text()
    assert "Consent: stills or clips for the family" in page and "2025-01-31 (passed" in page


def test_a_record_added_to_the_stick_after_the_export_is_not_used(stick, tmp_path):
    root, key, recorded = stick
    forged_stick = tmp_path / "stick"
    shutil.copytree(root, forged_stick)
    session = forged_stick / EXPORT_DIR_NAME / recorded.interrupted.id
    forged = {**RECORD, "family_copy": True, "delete_by": "2099-12-31"}
    (session / CONSENT_FILE).write_bytes(
        encrypt_bytes(padded_json(forged, "consent"), [recorded.identity.recipient])
    )
    code, text = unpack(forged_stick, key, tmp_path / "out", tmp_path / "devices.json")
    assert code == EXIT_SOME_FAILED  # the added file is named
    assert f"{CONSENT_FILE} is not in the signed manifest" in text
    assert f"{recorded.interrupted.id}: consent not recorded" in text
    assert "2099-12-31" not in text
    page = tmp_path / "out" / recorded.interrupted.id / "index.html"
    assert "2099-12-31" not in page.read_text()
