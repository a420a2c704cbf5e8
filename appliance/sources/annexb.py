"""Reading H.264 Annex B byte streams: NAL units, their types, and access units.

A replayed stream arrives as one long byte string, but the recorder wants one access unit
(one picture, with any SPS/PPS/SEI before it) per EncodedFrame and needs to know which
ones are IDR pictures. Both follow from the NAL headers alone, so no decoder is needed.
The recorder reads the camera's access units with the same functions: a part or clip must
begin with an IDR that carries its own SPS and PPS, from which the muxer builds the avcC.
"""

from __future__ import annotations

import re

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
_VCL = (NAL_SLICE, NAL_IDR)
_STARTS_ACCESS_UNIT = (NAL_SEI, NAL_SPS, NAL_PPS, NAL_AUD)
_START_CODE = re.compile(b"\x00\x00\x01")


def split_nal_units(stream: bytes) -> list[bytes]:
    """NAL unit payloads (without start codes), in stream order."""
    starts = [m.end() for m in _START_CODE.finditer(stream)]
    units = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(stream)
        unit = stream[start:end]
        # A 4-byte start code leaves its leading zero at the end of the previous unit;
        # trailing zeros are never part of a NAL unit (its last byte holds a stop bit).
        units.append(unit.rstrip(b"\x00"))
    return [u for u in units if u]


def nal_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def first_slice_of_picture(unit: bytes) -> bool:
    """True when a slice's first_mb_in_slice is 0 (Exp-Golomb ue(v) 0 is one 1 bit)."""
    return len(unit) > 1 and bool(unit[1] & 0x80)


def split_access_units(stream: bytes) -> list[bytes]:
    """Access units as Annex B bytes (4-byte start codes), each holding one picture."""
    units: list[list[bytes]] = []
    current: list[bytes] = []
    seen_picture = False
    for unit in split_nal_units(stream):
        kind = nal_type(unit)
        new_picture = kind in _VCL and first_slice_of_picture(unit)
        if seen_picture and (kind in _STARTS_ACCESS_UNIT or new_picture):
            units.append(current)
            current, seen_picture = [], False
        current.append(unit)
        seen_picture = seen_picture or kind in _VCL
    if current and seen_picture:
        units.append(current)
    return [b"".join(b"\x00\x00\x00\x01" + u for u in au) for au in units]


def is_idr(access_unit: bytes) -> bool:
    return any(nal_type(u) == NAL_IDR for u in split_nal_units(access_unit))


def nal_types(access_unit: bytes) -> list[int]:
    return [nal_type(u) for u in split_nal_units(access_unit)]


def is_self_contained_idr(access_unit: bytes) -> bool:
    """True when the access unit is an IDR that carries its own SPS and PPS."""
    types = nal_types(access_unit)
    return NAL_SPS in types and NAL_PPS in types and NAL_IDR in types
