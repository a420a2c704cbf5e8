from __future__ import annotations

from appliance.sources.annexb import (
    is_idr,
    is_self_contained_idr,
    nal_types,
    split_access_units,
    split_nal_units,
)

SPS = b"\x67\x42\x00\x1f"
PPS = b"\x68\xce\x38\x80"
AUD = b"\x09\xf0"
IDR_FIRST, IDR_NEXT = b"\x65\x88\x84", b"\x65\x40\x12"  # first_mb_in_slice 0, then not
P_FIRST, P_NEXT = b"\x41\x9a\x02", b"\x41\x20\x05"


def annexb(*units: bytes, long_codes: bool = True) -> bytes:
    code = b"\x00\x00\x00\x01" if long_codes else b"\x00\x00\x01"
    return b"".join(code + u for u in units)


def test_nal_units_are_found_after_three_and_four_byte_start_codes():
    stream = annexb(SPS, PPS) + annexb(IDR_FIRST, long_codes=False)
    assert split_nal_units(stream) == [SPS, PPS, IDR_FIRST]


def test_access_units_group_headers_and_all_slices_of_one_picture():
    stream = annexb(AUD, SPS, PPS, IDR_FIRST, IDR_NEXT, AUD, P_FIRST, P_NEXT, P_FIRST)
    units = split_access_units(stream)
    assert [nal_types(u) for u in units] == [[9, 7, 8, 5, 5], [9, 1, 1], [1]]
    assert [is_idr(u) for u in units] == [True, False, False]


def test_only_an_idr_carrying_its_sps_and_pps_is_self_contained():
    assert is_self_contained_idr(annexb(AUD, SPS, PPS, IDR_FIRST))
    assert is_self_contained_idr(annexb(SPS, PPS) + annexb(IDR_FIRST, long_codes=False))
    assert not is_self_contained_idr(annexb(AUD, IDR_FIRST))
    assert not is_self_contained_idr(annexb(SPS, IDR_FIRST))
    assert not is_self_contained_idr(annexb(SPS, PPS, P_FIRST))


def test_leading_bytes_without_a_picture_are_not_an_access_unit():
    assert split_access_units(annexb(SPS, PPS)) == []
    assert split_access_units(b"no start code here") == []
