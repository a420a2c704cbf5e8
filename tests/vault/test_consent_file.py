"""The consent record as the vault keeps it: its own encrypted file, one size whatever it
says, replaced all or nothing (a power cut at any moment leaves the old record or the new
one, and a session every export can verify), and closed once the session is exported."""

from __future__ import annotations

import json

import pytest

from appliance.vault import PowerCut
from appliance.vault.age import AgeReader
from appliance.vault.errors import ConsentClosed, SessionClosed
from appliance.vault.session_files import CONSENT_FILE, PADDED_SIZES, file_digest

FIRST = {"filming": True, "training": False, "family_copy": True, "delete_by": "2027-03-31"}
SECOND = {"filming": True, "training": True, "family_copy": False, "delete_by": "2027-12-31",
          "involvement_ends": "2027-10-31", "delete_by_rule": "end of involvement + 2 months"}


def finished_session(vault) -> str:
    session = vault.create_session({"case_code": "K-9"})
    session.finish("complete")
    return session.id


def read_consent(vault, identity, session_id: str) -> tuple[bytes, dict]:
    path = vault.sessions_dir / session_id / CONSENT_FILE
    with open(path, "rb") as raw:
        plaintext = AgeReader(raw, [identity]).read()
    return plaintext, json.loads(plaintext)


def test_every_record_has_one_ciphertext_size_whatever_it_says(vault, identity):
    sizes = set()
    for record in (FIRST, SECOND, {"filming": False, "training": False, "family_copy": False,
                                   "delete_by": None}):
        session_id = finished_session(vault)
        vault.write_consent(session_id, record)
        plaintext, stored = read_consent(vault, identity, session_id)
        assert stored == record
        assert len(plaintext) == PADDED_SIZES["consent"]
        sizes.add((vault.sessions_dir / session_id / CONSENT_FILE).stat().st_size)
    assert len(sizes) == 1


def test_the_record_is_audited_without_its_content(vault):
    session_id = finished_session(vault)
    assert vault.write_consent(session_id, FIRST) is False
    assert vault.write_consent(session_id, SECOND) is True
    entries = [e for e in vault.audit.entries() if e["event"] == "consent_recorded"]
    assert [(e["session"], e["replaced"]) for e in entries] == [(session_id, False),
                                                                (session_id, True)]
    assert "2027" not in json.dumps(entries)
    assert vault.session(session_id).consent_recorded


def test_a_session_being_recorded_is_written_by_its_own_writer_only(vault):
    session = vault.create_session({})
    with pytest.raises(SessionClosed):
        vault.write_consent(session.id, FIRST)
    assert session.write_consent(FIRST) is False
    assert vault.session(session.id).consent_recorded


def test_once_exported_the_record_is_closed(vault):
    session_id = finished_session(vault)
    vault.write_consent(session_id, FIRST)
    vault.mark_exported(session_id, destination="usb stick")
    with pytest.raises(ConsentClosed, match="exported"):
        vault.write_consent(session_id, SECOND)  # verified on a stick, not yet deleted here
    vault.delete_session(session_id, reason="exported")
    with pytest.raises(ConsentClosed, match="exported to a USB stick and deleted"):
        vault.write_consent(session_id, SECOND)


def _replace_with_a_cut(disk, make_vault, identity, cut_at: int) -> tuple[dict, bool]:
    vault = make_vault()
    session_id = finished_session(vault)
    vault.write_consent(session_id, FIRST)
    disk.cut_after(cut_at)
    try:
        vault.write_consent(session_id, SECOND)
        finished = True
    except PowerCut:
        finished = False
    disk.power_cut()
    rebooted = make_vault()
    rebooted.recover_interrupted()
    info = rebooted.session(session_id)
    (record,) = [f for f in info.files if f.kind == "consent"]
    assert record.complete
    assert (record.size, record.sha256) == file_digest(info.directory / CONSENT_FILE)
    _, stored = read_consent(rebooted, identity, session_id)
    return stored, finished


def test_a_power_cut_while_replacing_leaves_one_whole_record_that_exports_verify(
    disk, make_vault, make_enrolled, identity
):
    make_enrolled()
    seen = []
    for cut_at in range(1, 40):
        stored, finished = _replace_with_a_cut(disk, make_vault, identity, cut_at)
        assert stored in (FIRST, SECOND)
        seen.append(stored == SECOND)
        if finished:
            break
    assert finished, "the replacement never ran to its end"
    assert seen[0] is False and seen[-1] is True
