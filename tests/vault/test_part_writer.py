"""A media file being written knows nothing of its session: it tells whoever opened it."""

from __future__ import annotations

import hashlib

import pytest

from appliance.vault import PartWriter
from appliance.vault.age import CHUNK_SIZE, decrypt_file
from appliance.vault.errors import SessionClosed
from appliance.vault.state import FileRecord


@pytest.fixture
def opened(disk, identity):
    closed: list[tuple[PartWriter, FileRecord]] = []
    path = disk.root / "part-0001.mp4.age"
    part = PartWriter(
        path,
        "part",
        disk.open_new(path),
        fs=disk,
        recipients=[identity.recipient],
        on_closed=lambda writer, record: closed.append((writer, record)),
    )
    return part, closed


def test_closing_tells_the_owner_the_size_and_hash_of_the_ciphertext(opened, identity):
    part, closed = opened
    part.write(b"moof" * 1000)
    part.close()
    part.close()  # a second close is a no-op, and tells nobody
    ((writer, record),) = closed
    ciphertext = part.path.read_bytes()
    assert writer is part
    assert record == FileRecord(
        "part-0001.mp4.age", "part", len(ciphertext), hashlib.sha256(ciphertext).hexdigest(), True
    )
    assert decrypt_file(part.path, [identity]) == b"moof" * 1000


def test_abandoning_tells_the_owner_the_file_is_unfinished(opened):
    part, closed = opened
    part.write(b"mdat" * 100)
    part.sync(filler=bytes(part.pending and -part.pending % CHUNK_SIZE))
    part.abandon()
    ((_, record),) = closed
    assert record.complete is False
    assert record.size == part.path.stat().st_size
    with pytest.raises(SessionClosed):
        part.write(b"more")
