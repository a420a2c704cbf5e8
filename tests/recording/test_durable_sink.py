"""Durability padding: only between top-level boxes, always completing a 64 KiB chunk."""

from __future__ import annotations

import struct

import pytest

from appliance.recording.boxes import free_box
from appliance.recording.durable_sink import DurableSink, padding_for

from .media import top_level_boxes
from .memory_part import CHUNK_SIZE, MemoryPartWriter


def box(kind: bytes, size: int) -> bytes:
    return struct.pack(">I4s", size, kind) + bytes(size - 8)


@pytest.mark.parametrize(
    ("pending", "expected"),
    [(0, 0), (1, CHUNK_SIZE - 1), (CHUNK_SIZE - 8, 8), (CHUNK_SIZE - 7, CHUNK_SIZE + 7),
     (CHUNK_SIZE - 1, CHUNK_SIZE + 1)],
)
def test_padding_completes_the_chunk_with_room_for_a_box_header(pending, expected):
    assert padding_for(pending) == expected


@pytest.mark.parametrize(
    "first", [100, CHUNK_SIZE - 3, CHUNK_SIZE - 8, CHUNK_SIZE, 3 * CHUNK_SIZE + 5]
)
def test_sync_pads_to_a_chunk_boundary_with_a_free_box(first):
    part = MemoryPartWriter()
    sink = DurableSink(part)
    sink.write(box(b"moof", first))
    assert sink.make_durable()
    assert len(part.data) % CHUNK_SIZE == 0 and part.durable_length == len(part.data)
    assert sink.padding_bytes == len(part.data) - first
    kinds = [kind for _, kind, _ in top_level_boxes(bytes(part.data))]
    assert kinds == [b"moof"] + ([b"free"] if sink.padding_bytes else [])


def test_sync_mid_box_is_deferred_to_the_next_boundary():
    part = MemoryPartWriter()
    sink = DurableSink(part)
    whole = box(b"mdat", 5000)
    sink.write(whole[:3000])
    assert not sink.make_durable()
    assert sink.sync_due and part.sync_calls == []
    sink.write(whole[3000:])
    assert sink.at_boundary
    assert sink.make_durable() and not sink.sync_due
    assert part.sync_calls == [(5000, CHUNK_SIZE - 5000)]


def test_close_after_a_sync_adds_a_final_free_box():
    part = MemoryPartWriter()
    sink = DurableSink(part)
    sink.write(box(b"moof", 200))
    sink.make_durable()
    sink.close()
    assert part.closed
    assert bytes(part.data[-8:]) == free_box(8)
    top_level_boxes(bytes(part.data))


def test_close_with_pending_bytes_adds_nothing():
    part = MemoryPartWriter()
    sink = DurableSink(part)
    sink.write(box(b"moof", 200))
    sink.close()
    assert bytes(part.data) == box(b"moof", 200)
