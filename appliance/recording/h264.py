"""Just enough H.264 Annex B parsing to check what the camera hands over.

A part or clip must begin with an IDR that carries its own SPS and PPS: the muxer builds
the avcC (decoder configuration) from them, so the file describes exactly the stream in it.
"""

from __future__ import annotations

NAL_IDR = 5
NAL_SPS = 7
NAL_PPS = 8


def split_annexb(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B access unit, without start codes."""
    units: list[bytes] = []
    starts: list[tuple[int, int]] = []  # (start code position, payload position)
    pos = data.find(b"\x00\x00\x01")
    while pos >= 0:
        code_start = pos - 1 if pos > 0 and data[pos - 1] == 0 else pos
        starts.append((code_start, pos + 3))
        pos = data.find(b"\x00\x00\x01", pos + 3)
    for index, (_, payload) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(data)
        unit = data[payload:end]
        if unit:
            units.append(unit)
    return units


def nal_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def parameter_sets(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """The SPS and PPS NAL units in an access unit, in stream order."""
    units = split_annexb(data)
    return (
        [u for u in units if nal_type(u) == NAL_SPS],
        [u for u in units if nal_type(u) == NAL_PPS],
    )


def is_self_contained_idr(data: bytes) -> bool:
    """True when the access unit is an IDR preceded by its SPS and PPS."""
    types = [nal_type(u) for u in split_annexb(data)]
    return NAL_SPS in types and NAL_PPS in types and NAL_IDR in types
