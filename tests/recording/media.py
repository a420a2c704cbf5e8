"""Reading recorded MP4 back for tests: boxes, decoded pictures and one continuous sound."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import av
import numpy as np

from .h264_fixture import is_flash, read_strip


def top_level_boxes(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, type, size) of every top-level box; asserts they tile the data exactly."""
    boxes, pos = [], 0
    while pos < len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
        assert size >= 8, f"bad box size {size} at {pos}"
        boxes.append((pos, kind, size))
        pos += size
    assert pos == len(data), "boxes do not end where the data ends"
    return boxes


def find_box(data: bytes, path: list[bytes]) -> bytes:
    """Payload of the first box along a path of container boxes (moov/trak/mdia/...)."""
    containers = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
    pos, end = 0, len(data)
    for depth, kind in enumerate(path):
        while pos < end:
            size, found = struct.unpack_from(">I4s", data, pos)
            if found == kind:
                start = pos + 8
                if kind == b"stsd":
                    start += 8  # full box header + entry count
                if kind == b"avc1":
                    start += 78  # visual sample entry fields
                if depth == len(path) - 1:
                    return data[start : pos + size]
                pos, end = start, pos + size
                break
            pos += size
        else:
            raise AssertionError(f"no {kind!r} box")
        assert found in containers | {b"stsd", b"avc1"} or depth == len(path) - 1
    raise AssertionError("empty path")


@dataclass
class Decoded:
    frame_numbers: list[int]
    frame_times: list[float]
    flash_times: list[float]
    audio: np.ndarray  # mono float32, decoded back to back
    audio_start: float
    audio_rate: int


def decode(data: bytes) -> Decoded:
    numbers, times, flashes = [], [], []
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            gray = frame.to_ndarray(format="gray")
            numbers.append(read_strip(gray))
            times.append(float(frame.time))
            if is_flash(gray):
                flashes.append(float(frame.time))
    chunks, start, rate = [], None, 48000
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            if start is None:
                start, rate = float(frame.time), frame.sample_rate
            chunks.append(frame.to_ndarray()[0])
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return Decoded(numbers, times, flashes, audio, start or 0.0, rate)


def beep_onsets(decoded: Decoded, threshold: float = 0.1, min_gap: float = 0.5) -> list[float]:
    """Times where the continuous sound first rises above `threshold` after `min_gap` quiet."""
    loud = np.flatnonzero(np.abs(decoded.audio) > threshold)
    onsets, last = [], -np.inf
    for index in loud:
        if index - last > min_gap * decoded.audio_rate:
            onsets.append(decoded.audio_start + index / decoded.audio_rate)
        last = index
    return onsets


def decode_frames_with(data: bytes, read) -> tuple[list, Decoded]:
    """`read(gray picture)` for every decoded frame, and the usual decode."""
    with av.open(io.BytesIO(data)) as container:
        values = [read(frame.to_ndarray(format="gray")) for frame in container.decode(video=0)]
    return values, decode(data)
