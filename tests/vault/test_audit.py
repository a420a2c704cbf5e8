"""The audit log: hash-chained, append-only, no personal data, honest about tampering."""

from __future__ import annotations

import json
import random

import pytest

from appliance.vault.audit import GENESIS, AuditLog, line_hash
from appliance.vault.errors import PersonalDataInAudit
from appliance.vault.lossy_filesystem import LossyFileSystem


@pytest.fixture
def log(tmp_path, clock) -> AuditLog:
    fs = LossyFileSystem(tmp_path)
    log = AuditLog(tmp_path / "audit.log", fs, clock.now)
    for number in range(1, 6):
        log.append("session_started", session=f"20251125-12000{number}-abcd")
    return log


def _lines(log: AuditLog) -> list[bytes]:
    return log.path.read_bytes().splitlines()


def test_each_entry_carries_the_hash_of_the_previous_line(log):
    lines = _lines(log)
    entries = [json.loads(line) for line in lines]
    assert entries[0]["prev"] == GENESIS
    for previous, entry in zip(lines, entries[1:], strict=False):
        assert entry["prev"] == line_hash(previous)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["time"] == "2025-11-24T16:00:00Z"
    verification = log.verify()
    assert verification.ok and verification.entries == 5


def test_a_changed_line_is_named_as_the_first_broken_entry(log):
    lines = _lines(log)
    lines[2] = lines[2].replace(b"20251125-120003", b"20251125-120009")
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    verification = log.verify()
    assert not verification.ok
    assert verification.first_broken == 3


def test_a_removed_line_is_named(log):
    lines = _lines(log)
    del lines[1]
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert log.verify().first_broken == 2


def test_a_line_that_is_not_json_is_named(log):
    lines = _lines(log)
    lines[3] = b"hello"
    log.path.write_bytes(b"\n".join(lines) + b"\n")
    assert log.verify().first_broken == 4


def test_an_unterminated_last_line_is_named(log):
    log.path.write_bytes(log.path.read_bytes() + b'{"seq":6')
    assert log.verify().first_broken == 6


@pytest.mark.parametrize("field", ["case_code", "note", "comment", "metadata", "client", "PIN"])
def test_fields_that_could_carry_personal_data_are_refused(log, field):
    with pytest.raises(PersonalDataInAudit):
        log.append("session_started", **{field: "Family Smith"})
    assert log.verify().entries == 5


def test_nested_values_are_refused(log):
    with pytest.raises(PersonalDataInAudit):
        log.append("session_started", session={"case": "x"})


def test_an_entry_torn_by_a_power_cut_is_discarded_and_the_chain_goes_on(tmp_path, clock):
    fs = LossyFileSystem(tmp_path)
    log = AuditLog(tmp_path / "audit.log", fs, clock.now)
    log.append("first")
    with fs.open_append(log.path) as file:
        file.write(b'{"seq":2,"event":"tor')
        file.flush()
        fs.power_cut(random.Random(1))  # keeps some of the unsynced bytes
    log.path.write_bytes(log.path.read_bytes() + b'{"seq":2,"ev')  # a torn tail for sure
    log.append("second")
    entries = log.entries()
    assert [e["event"] for e in entries] == ["first", "audit_torn_entry_discarded", "second"]
    assert log.verify().ok


def test_appends_survive_a_power_cut(tmp_path, clock):
    fs = LossyFileSystem(tmp_path)
    log = AuditLog(tmp_path / "audit.log", fs, clock.now)
    log.append("first")
    log.append("second")
    fs.power_cut()
    assert [e["event"] for e in log.entries()] == ["first", "second"]
    assert log.verify().ok


def test_an_absent_log_verifies_as_empty(tmp_path, clock):
    log = AuditLog(tmp_path / "audit.log", LossyFileSystem(tmp_path), clock.now)
    assert log.verify().ok and log.verify().entries == 0


def test_start_up_drops_a_torn_entry_so_the_log_verifies_again(tmp_path, clock):
    fs = LossyFileSystem(tmp_path)
    log = AuditLog(tmp_path / "audit.log", fs, clock.now)
    assert not log.discard_torn_entry()
    log.append("first")
    log.path.write_bytes(log.path.read_bytes() + b'{"seq":2,"ev')
    assert not log.verify().ok
    assert log.discard_torn_entry()
    assert log.verify().ok
    assert [e["event"] for e in log.entries()] == ["first", "audit_torn_entry_discarded"]
    assert not log.discard_torn_entry()
