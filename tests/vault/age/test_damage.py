"""Bit flips and cuts anywhere never release an unauthenticated byte, and always raise a
typed error: what comes out is a chunk-aligned prefix of the original ending before the
damaged chunk."""

from __future__ import annotations

import io
import os
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.vault.age import CHUNK_SIZE, AgeError, AgeReader, AgeWriter, X25519Identity, salvage
from appliance.vault.age.stream import SEALED_CHUNK_SIZE

PLAINTEXT_SIZE = 3 * CHUNK_SIZE + 4321


@cache
def _sample() -> tuple[X25519Identity, bytes, bytes, int]:
    key = X25519Identity.generate()
    plaintext = os.urandom(PLAINTEXT_SIZE)
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient])
    payload_start = len(sink.getvalue())
    writer.write(plaintext)
    writer.close()
    return key, plaintext, sink.getvalue(), payload_start


def _released(file: bytes, key) -> tuple[bytes, AgeError | None]:
    out = bytearray()
    try:
        for chunk in AgeReader(io.BytesIO(file), [key]):
            out += chunk
    except AgeError as exc:
        return bytes(out), exc
    return bytes(out), None


def _limit(offset: int, payload_start: int) -> int:
    """Most plaintext a reader may release when ciphertext byte `offset` is damaged."""
    if offset < payload_start:
        return 0
    return (offset - payload_start) // SEALED_CHUNK_SIZE * CHUNK_SIZE


def _check(released: bytes, error, plaintext: bytes, limit: int) -> None:
    assert isinstance(error, AgeError)
    assert len(released) % CHUNK_SIZE == 0
    assert len(released) <= limit
    assert released == plaintext[: len(released)]


@settings(max_examples=150, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_anywhere_is_caught(position, bit):
    key, plaintext, file, payload_start = _sample()
    offset = int(position * len(file))
    damaged = bytearray(file)
    damaged[offset] ^= 1 << bit
    released, error = _released(bytes(damaged), key)
    _check(released, error, plaintext, _limit(offset, payload_start))


@settings(max_examples=150, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True))
def test_a_cut_anywhere_is_caught(position):
    key, plaintext, file, payload_start = _sample()
    cut = int(position * len(file))
    released, error = _released(file[:cut], key)
    _check(released, error, plaintext, _limit(cut, payload_start))


@settings(max_examples=50, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), garbage=st.binary(min_size=1, max_size=40))
def test_salvage_reports_where_damage_starts(position, garbage):
    key, plaintext, file, payload_start = _sample()
    offset = int(position * len(file))
    damaged = file[:offset] + garbage + file[offset + len(garbage) :]
    out = io.BytesIO()
    report = salvage(io.BytesIO(damaged), [key], out)
    if damaged == file:
        assert report.complete
        return
    released = out.getvalue()
    _check(released, report.reason, plaintext, _limit(offset, payload_start))
    assert report.plaintext_bytes == len(released)
    if released:
        assert report.ciphertext_offset == payload_start + len(released) // CHUNK_SIZE * (
            SEALED_CHUNK_SIZE
        )
