"""recipients.txt: public keys only, one comment each, readable by `age -R`."""

from __future__ import annotations

import subprocess

import pytest

from appliance.vault.age import (
    InvalidRecipient,
    PrivateKeyGivenAsRecipient,
    X25519Identity,
    decrypt_file,
)
from appliance.vault.errors import InvalidComment, UnknownRecipient
from tests.tooling import require_tool


def test_added_recipients_are_listed_with_their_comments(make_vault):
    vault = make_vault()
    first, second = X25519Identity.generate(), X25519Identity.generate()
    entry, added = vault.add_recipient(str(first.recipient), "practitioner laptop")
    assert added and entry.comment == "practitioner laptop"
    vault.add_recipient(f"  {second.recipient}\n")
    assert [(e.text, e.comment) for e in vault.recipient_entries()] == [
        (str(first.recipient), "practitioner laptop"),
        (str(second.recipient), ""),
    ]
    assert vault.recipients() == [first.recipient, second.recipient]


def test_enrolling_again_is_harmless_and_may_update_the_comment(make_vault, identity):
    vault = make_vault()
    vault.add_recipient(str(identity.recipient), "old")
    _, added = vault.add_recipient(str(identity.recipient))
    assert not added
    vault.add_recipient(str(identity.recipient), "new")
    assert [e.comment for e in vault.recipient_entries()] == ["new"]


def test_an_invalid_recipient_is_refused_and_nothing_is_written(make_vault):
    vault = make_vault()
    for text in ["age1notakey", "ssh-ed25519 AAAA", "", "age1" + "q" * 58]:
        with pytest.raises(InvalidRecipient):
            vault.add_recipient(text)
    assert not (vault.data_dir / "recipients.txt").exists()


@pytest.mark.parametrize("spelling", [str, str.lower, lambda s: f"  {s}\n"])
def test_a_private_key_is_refused_as_a_recipient(make_vault, identity, spelling):
    vault = make_vault()
    with pytest.raises(PrivateKeyGivenAsRecipient) as caught:
        vault.add_recipient(spelling(str(identity)))
    secret_part = str(identity)[16:60].lower()
    assert secret_part not in caught.value.user_message().lower()
    assert secret_part not in str(caught.value.__cause__ or "").lower()
    assert vault.recipients() == []
    assert not (vault.data_dir / "recipients.txt").exists()


def test_a_hand_edited_file_with_a_bad_line_is_named(make_vault, identity):
    vault = make_vault()
    vault.add_recipient(str(identity.recipient))
    path = vault.data_dir / "recipients.txt"
    path.write_text(path.read_text() + "age1garbage\n")
    with pytest.raises(InvalidRecipient):
        vault.recipients()


def test_a_comment_must_be_one_line(make_vault, identity):
    with pytest.raises(InvalidComment):
        make_vault().add_recipient(str(identity.recipient), "two\nlines")


def test_remove_withdraws_the_recipient_and_its_comment(vault, identity):
    other = X25519Identity.generate()
    vault.add_recipient(str(other.recipient), "recovery key of the service")
    vault.remove_recipient(str(identity.recipient))
    assert [(e.text, e.comment) for e in vault.recipient_entries()] == [
        (str(other.recipient), "recovery key of the service")
    ]
    assert "practitioner laptop" not in (vault.data_dir / "recipients.txt").read_text()
    with pytest.raises(UnknownRecipient):
        vault.remove_recipient(str(identity.recipient))
    events = [e["event"] for e in vault.audit.entries()]
    assert events == ["recipient_added", "recipient_added", "recipient_removed"]


def test_comments_never_reach_the_audit_log(vault):
    assert "practitioner laptop" not in vault.audit.path.read_text()


def test_the_file_is_an_age_recipients_file(vault, identity, tmp_path):
    age = require_tool("age", "age")
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"opened by the practitioner")
    encrypted = tmp_path / "plain.txt.age"
    recipients_file = vault.data_dir / "recipients.txt"
    subprocess.run([age, "-R", str(recipients_file), "-o", str(encrypted), str(plain)],
                   check=True)
    assert decrypt_file(encrypted, [identity]) == b"opened by the practitioner"
