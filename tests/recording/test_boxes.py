"""The top-level box tracker follows real muxer output however the bytes are split."""

from __future__ import annotations

import random
import struct

import pytest

from appliance.recording.boxes import TopLevelBoxTracker, free_box
from appliance.recording.errors import InvalidPadding, MalformedBoxStream
from appliance.recording.muxer import FragmentedMuxer, MediaFormat

from .h264_fixture import H264Stream
from .media import top_level_boxes
from .recording_run import small_config


class Collect:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


@pytest.fixture(scope="module")
def mp4_bytes() -> bytes:
    stream = H264Stream()
    sink = Collect()
    data, _ = stream.encode(0)
    muxer = FragmentedMuxer(sink, MediaFormat.from_config(small_config()), data, 0.0)
    for index in range(1, 25):
        data, key = stream.encode(index)
        muxer.add_video(data, index / 10, key)
    muxer.close()
    return bytes(sink.data)


def boundaries_seen(data: bytes, split_points: list[int]) -> set[int]:
    tracker = TopLevelBoxTracker()
    seen = set()
    previous = 0
    for point in [*split_points, len(data)]:
        tracker.feed(data[previous:point])
        previous = point
        if tracker.at_boundary:
            seen.add(point)
    return seen


def test_boundaries_match_a_full_parse_for_any_split(mp4_bytes):
    starts = {offset for offset, _, _ in top_level_boxes(mp4_bytes)} | {len(mp4_bytes)}
    rng = random.Random(7)
    for _ in range(30):
        points = sorted(rng.sample(range(1, len(mp4_bytes)), 40))
        points += sorted(starts)  # make sure every real boundary is a split point
        points = sorted(set(points))
        assert boundaries_seen(mp4_bytes, points) == {p for p in points if p in starts}


def test_byte_at_a_time_reports_box_types_and_count(mp4_bytes):
    tracker = TopLevelBoxTracker()
    kinds = []
    for index in range(len(mp4_bytes)):
        tracker.feed(mp4_bytes[index : index + 1])
        if tracker.boxes > len(kinds):
            kinds.append(tracker.current_type)
    assert kinds == [kind for _, kind, _ in top_level_boxes(mp4_bytes)]
    assert kinds[:2] == [b"ftyp", b"moov"] and b"moof" in kinds and b"mdat" in kinds


def test_largesize_header_is_followed():
    payload = bytes(40)
    big = struct.pack(">I4sQ", 1, b"mdat", 16 + len(payload)) + payload
    data = big + free_box(8)
    tracker = TopLevelBoxTracker()
    tracker.feed(data[:12])
    assert not tracker.at_boundary
    tracker.feed(data[12 : len(big)])
    assert tracker.at_boundary and tracker.current_type == b"mdat"
    tracker.feed(data[len(big) :])
    assert tracker.at_boundary and tracker.boxes == 2 and tracker.offset == len(data)


@pytest.mark.parametrize(
    "header",
    [struct.pack(">I4s", 7, b"moof"), struct.pack(">I4sQ", 1, b"mdat", 15)],
)
def test_impossible_box_sizes_are_refused(header):
    with pytest.raises(MalformedBoxStream):
        TopLevelBoxTracker().feed(header)


def test_box_to_end_of_file_never_ends():
    tracker = TopLevelBoxTracker()
    tracker.feed(struct.pack(">I4s", 0, b"mdat") + bytes(100))
    assert not tracker.at_boundary


def test_free_box_is_exactly_the_size_asked():
    for size in (8, 9, 65536 + 7):
        box = free_box(size)
        assert len(box) == size and box[4:8] == b"free"
        assert struct.unpack(">I", box[:4])[0] == size
    with pytest.raises(InvalidPadding):
        free_box(7)
