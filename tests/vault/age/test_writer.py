"""AgeWriter: one chunk in memory, non-final chunks only when more follows or on sync."""

from __future__ import annotations

import errno
import io
import os

import pytest

from appliance.vault.age import (
    CHUNK_SIZE,
    AgeIOError,
    AgeReader,
    AgeWriter,
    InvalidFiller,
    NoRecipients,
    ScryptNotAlone,
    ScryptRecipient,
    TruncatedStream,
    WriterClosed,
)
from appliance.vault.age.stream import SEALED_CHUNK_SIZE, plaintext_size


def _header_size(sink: io.BytesIO) -> int:
    return len(sink.getvalue())


def _read_all(data: bytes, key) -> bytes:
    return AgeReader(io.BytesIO(data), [key]).read()


def test_a_full_chunk_stays_pending_until_more_data_arrives(key):
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient])
    start = _header_size(sink)
    writer.write(b"a" * CHUNK_SIZE)
    assert writer.pending == CHUNK_SIZE
    assert len(sink.getvalue()) == start
    writer.write(b"b")
    assert writer.pending == 1
    assert len(sink.getvalue()) == start + SEALED_CHUNK_SIZE
    writer.close()
    assert _read_all(sink.getvalue(), key) == b"a" * CHUNK_SIZE + b"b"


def test_large_writes_keep_chunks_in_order(key):
    data = os.urandom(5 * CHUNK_SIZE + 123)
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient])
    writer.write(data[:7])
    writer.write(memoryview(data)[7:])
    writer.close()
    assert _read_all(sink.getvalue(), key) == data


def test_sync_seals_full_chunks_then_flushes_then_syncs(key):
    events = []

    class Sink(io.BytesIO):
        def flush(self):
            events.append(("flush", len(self.getvalue())))

    sink = Sink()
    writer = AgeWriter(sink, [key.recipient], on_sync=lambda: events.append(("sync", None)))
    start = len(sink.getvalue())
    writer.write(b"x" * 1000)
    writer.sync(b"\0" * (CHUNK_SIZE - 1000 + CHUNK_SIZE))
    assert writer.pending == 0
    assert events == [("flush", start + 2 * SEALED_CHUNK_SIZE), ("sync", None)]


def test_sync_refuses_a_filler_that_misses_the_boundary_and_writes_nothing(key):
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient], on_sync=lambda: None)
    writer.write(b"x" * 10)
    before = sink.getvalue()
    with pytest.raises(InvalidFiller):
        writer.sync(b"\0" * 10)
    assert isinstance(InvalidFiller(), ValueError)
    assert writer.pending == 10
    assert sink.getvalue() == before


def test_sync_without_on_sync_fsyncs_the_sink(key, tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    with open(tmp_path / "f.age", "wb") as sink:
        writer = AgeWriter(sink, [key.recipient])
        writer.write(b"y" * CHUNK_SIZE)
        writer.sync()
        assert synced == [sink.fileno()]
        writer.close(b"end")
        assert len(synced) == 2


def test_close_after_sync_needs_a_final_filler(key):
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient], on_sync=lambda: None)
    writer.write(b"z" * CHUNK_SIZE)
    writer.sync()
    with pytest.raises(InvalidFiller):
        writer.close()
    writer.close(b"\0\0\0\x08free")
    assert _read_all(sink.getvalue(), key) == b"z" * CHUNK_SIZE + b"\0\0\0\x08free"


def test_an_empty_file_has_one_empty_final_chunk(key):
    sink = io.BytesIO()
    AgeWriter(sink, [key.recipient]).close()
    assert _read_all(sink.getvalue(), key) == b""


def test_writing_after_close_is_refused(key):
    writer = AgeWriter(io.BytesIO(), [key.recipient])
    writer.close()
    writer.close()
    with pytest.raises(WriterClosed):
        writer.write(b"late")


def test_a_failing_sink_breaks_the_writer_with_a_typed_os_error(key):
    class FullDisk(io.BytesIO):
        def write(self, data):
            if len(self.getvalue()) > 1000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    writer = AgeWriter(FullDisk(), [key.recipient])
    with pytest.raises(AgeIOError) as caught:
        writer.write(os.urandom(3 * CHUNK_SIZE))
    assert caught.value.errno == errno.ENOSPC
    assert isinstance(caught.value, OSError)
    with pytest.raises(WriterClosed):
        writer.write(b"more")


def test_an_exception_inside_the_with_block_leaves_the_file_visibly_cut(key):
    sink = io.BytesIO()
    with pytest.raises(KeyError), AgeWriter(sink, [key.recipient]) as writer:
        writer.write(b"w" * (CHUNK_SIZE + 5))
        raise KeyError("caller failed")
    with pytest.raises(TruncatedStream):
        _read_all(sink.getvalue(), key)


def test_recipients_are_checked(key):
    with pytest.raises(NoRecipients):
        AgeWriter(io.BytesIO(), [])
    with pytest.raises(ScryptNotAlone):
        AgeWriter(io.BytesIO(), [ScryptRecipient("pw", work_factor=1), key.recipient])


def test_short_writes_of_a_raw_sink_are_completed(key):
    class Trickle(io.BytesIO):
        def write(self, data):
            return super().write(bytes(data[:1000]))

    sink = Trickle()
    data = os.urandom(2 * CHUNK_SIZE + 17)
    writer = AgeWriter(sink, [key.recipient])
    writer.write(data)
    writer.close()
    assert _read_all(sink.getvalue(), key) == data
    assert writer.bytes_written == len(sink.getvalue())


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE])
def test_plaintext_size_follows_from_the_payload_size(key, size):
    sink = io.BytesIO()
    writer = AgeWriter(sink, [key.recipient])
    payload_start = len(sink.getvalue())  # header and nonce
    writer.write(os.urandom(size))
    writer.close()
    payload = len(sink.getvalue()) - payload_start
    assert plaintext_size(payload) == size
    assert plaintext_size(payload + 1) in (None, size + 1)
    assert plaintext_size(15) is None and plaintext_size(SEALED_CHUNK_SIZE + 16) is None
