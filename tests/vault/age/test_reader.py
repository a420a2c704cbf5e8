"""AgeReader and salvage on files cut or damaged at chunk boundaries; key parsing."""

from __future__ import annotations

import io
import os

import pytest

from appliance.vault.age import (
    CHUNK_SIZE,
    AgeReader,
    AgeWriter,
    CutOrDamagedChunk,
    InvalidIdentity,
    InvalidRecipient,
    NoIdentityMatched,
    PrivateKeyGivenAsRecipient,
    ScryptIdentity,
    ScryptRecipient,
    TamperedChunk,
    TrailingData,
    TruncatedStream,
    X25519Identity,
    X25519Recipient,
    decrypt_bytes,
    encrypt_bytes,
    parse_identity_file,
    parse_recipient,
    salvage,
)
from appliance.vault.age.stream import SEALED_CHUNK_SIZE


def _encrypt(data: bytes, key) -> tuple[bytes, int]:
    """The file and the offset of its first chunk."""
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient])
    payload_start = len(sink.getvalue())
    writer.write(data)
    writer.close()
    return sink.getvalue(), payload_start


def test_a_file_cut_exactly_at_a_chunk_boundary_is_truncated(key):
    data = os.urandom(3 * CHUNK_SIZE + 10)
    file, start = _encrypt(data, key)
    cut = file[: start + 2 * SEALED_CHUNK_SIZE]
    released = bytearray()
    with pytest.raises(TruncatedStream) as caught:
        for chunk in AgeReader(io.BytesIO(cut), [key]):
            released += chunk
    assert not isinstance(caught.value, TamperedChunk)
    assert released == data[: 2 * CHUNK_SIZE]


def test_a_file_cut_inside_a_chunk_releases_only_whole_chunks(key):
    data = os.urandom(2 * CHUNK_SIZE + 10)
    file, start = _encrypt(data, key)
    out = io.BytesIO()
    report = salvage(io.BytesIO(file[: start + SEALED_CHUNK_SIZE + 500]), [key], out)
    assert isinstance(report.reason, CutOrDamagedChunk)
    assert not report.complete
    assert out.getvalue() == data[:CHUNK_SIZE] and report.plaintext_bytes == CHUNK_SIZE
    assert report.ciphertext_offset == start + SEALED_CHUNK_SIZE


def test_salvage_of_a_whole_file_is_complete(key):
    data = os.urandom(CHUNK_SIZE + 1)
    file, _ = _encrypt(data, key)
    out = io.BytesIO()
    report = salvage(io.BytesIO(file), [key], out)
    assert report.complete and report.reason is None
    assert report.ciphertext_offset == len(file) and out.getvalue() == data


def test_a_flipped_bit_in_the_second_chunk_stops_after_the_first(key):
    data = os.urandom(3 * CHUNK_SIZE)
    file = bytearray(_encrypt(data, key)[0])
    start = len(file) - 3 * SEALED_CHUNK_SIZE
    file[start + SEALED_CHUNK_SIZE + 7] ^= 1
    out = io.BytesIO()
    report = salvage(io.BytesIO(bytes(file)), [key], out)
    assert isinstance(report.reason, TamperedChunk)
    assert out.getvalue() == data[:CHUNK_SIZE]


def test_trailing_data_after_the_final_chunk_is_refused(key):
    data = os.urandom(CHUNK_SIZE)
    file, _ = _encrypt(data, key)
    chunks = iter(AgeReader(io.BytesIO(file + b"x"), [key]))
    assert next(chunks) == data
    with pytest.raises(TrailingData):
        next(chunks)


def test_errors_are_sticky(key):
    file, start = _encrypt(os.urandom(2 * CHUNK_SIZE), key)
    reader = AgeReader(io.BytesIO(file[: start + SEALED_CHUNK_SIZE]), [key])
    assert len(reader.read(CHUNK_SIZE)) == CHUNK_SIZE
    for _ in range(2):
        with pytest.raises(TruncatedStream):
            reader.read(1)


def test_small_reads_return_the_plaintext(key):
    data = os.urandom(CHUNK_SIZE + 3)
    reader = AgeReader(io.BytesIO(_encrypt(data, key)[0]), [key])
    pieces = []
    while piece := reader.read(1000):
        pieces.append(piece)
    assert b"".join(pieces) == data


def test_the_wrong_key_matches_nothing(key):
    file, _ = _encrypt(b"secret", key)
    with pytest.raises(NoIdentityMatched):
        AgeReader(io.BytesIO(file), [X25519Identity.generate()])
    with pytest.raises(InvalidIdentity):
        AgeReader(io.BytesIO(file), [])


def test_passphrase_round_trip_and_armor():
    data = os.urandom(1000)
    file = encrypt_bytes(data, [ScryptRecipient("pass", work_factor=10)], armor=True)
    assert file.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert decrypt_bytes(file, [ScryptIdentity("pass")]) == data
    with pytest.raises(NoIdentityMatched):
        decrypt_bytes(file, [ScryptIdentity("wrong")])


def test_keys_round_trip_through_their_text_forms(key):
    assert str(X25519Identity.parse(str(key))) == str(key)
    recipient = parse_recipient(str(key.recipient))
    assert recipient == key.recipient
    assert str(recipient).startswith("age1") and len(str(recipient)) == 62
    assert parse_identity_file(f"# comment\n\n{key}\n")[0].recipient == key.recipient


@pytest.mark.parametrize(
    "text",
    [
        "",
        "age1",
        "ssh-ed25519 AAAA",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    ],
)
def test_malformed_recipients_are_refused(text):
    with pytest.raises(InvalidRecipient):
        parse_recipient(text)


def test_upper_case_recipients_and_secret_keys_are_refused(key):
    with pytest.raises(InvalidRecipient):
        X25519Recipient.parse(str(key.recipient).upper())
    with pytest.raises(PrivateKeyGivenAsRecipient):
        parse_recipient(str(key))
    with pytest.raises(InvalidIdentity):
        parse_identity_file(str(key.recipient))
    with pytest.raises(InvalidIdentity):
        parse_identity_file("# only a comment\n")
