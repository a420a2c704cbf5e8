"""Hybrid post-quantum recipients: files sealed to age1pq1… open with its identity only."""

from __future__ import annotations

import io

import pytest

from appliance.vault.age import (
    AgeReader,
    AgeWriter,
    MLKEM768X25519Identity,
    MLKEM768X25519Recipient,
    NoIdentityMatched,
    PrivateKeyGivenAsRecipient,
    X25519Identity,
    parse_identity,
    parse_recipient,
)


def seal(recipients, payload: bytes) -> bytes:
    sink = io.BytesIO()
    writer = AgeWriter(sink, recipients)
    writer.write(payload)
    writer.close()
    return sink.getvalue()


def test_a_file_sealed_to_a_hybrid_recipient_opens_with_its_identity():
    identity = MLKEM768X25519Identity.generate()
    payload = b"a moment that went better than usual" * 5000
    sealed = seal([identity.recipient], payload)
    assert b"-> mlkem768x25519 " in sealed[:4096]
    assert AgeReader(io.BytesIO(sealed), [identity]).read() == payload


def test_another_identity_does_not_open_it():
    sealed = seal([MLKEM768X25519Identity.generate().recipient], b"x")
    others = [MLKEM768X25519Identity.generate(), X25519Identity.generate()]
    with pytest.raises(NoIdentityMatched):
        AgeReader(io.BytesIO(sealed), others).read()


def test_keys_round_trip_through_their_text_forms():
    identity = MLKEM768X25519Identity.generate()
    text = str(identity)
    assert text.startswith("AGE-SECRET-KEY-PQ-1")
    again = parse_identity(text)
    assert str(again.recipient) == str(identity.recipient)
    recipient = parse_recipient(str(identity.recipient))
    assert isinstance(recipient, MLKEM768X25519Recipient)
    assert recipient == identity.recipient
    assert str(recipient).startswith("age1pq1")


def test_a_hybrid_secret_key_given_as_a_recipient_is_refused():
    with pytest.raises(PrivateKeyGivenAsRecipient):
        parse_recipient(str(MLKEM768X25519Identity.generate()))


def test_the_vault_records_for_a_hybrid_recipient(tmp_path):
    from tests.support.vaults import make_enrolled_vault

    identity = MLKEM768X25519Identity.generate()
    vault, _ = make_enrolled_vault(
        tmp_path / "data", identity=identity, comment="practitioner, post-quantum"
    )
    session = vault.create_session({"case_code": "PQ-1"})
    session.write_mark(1, {"number": 1, "tag": "guiding"})
    session.finish("complete")
    mark = tmp_path / "data" / "sessions" / session.id / "mark-0001.json.age"
    with open(mark, "rb") as source:
        assert b'"guiding"' in AgeReader(source, [identity]).read()
