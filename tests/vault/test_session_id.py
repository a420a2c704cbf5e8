from __future__ import annotations

import itertools

from appliance.vault.session_id import BASE32_LOWER, is_session_id, new_session_id


def test_id_is_the_utc_start_and_four_lower_case_base32_characters():
    session_id = new_session_id(1_764_072_305.9)  # 2025-11-25 12:05:05 UTC
    assert session_id.startswith("20251125-120505-")
    suffix = session_id.rsplit("-", 1)[1]
    assert len(suffix) == 4 and all(c in BASE32_LOWER for c in suffix)
    assert is_session_id(session_id)


def test_ids_sort_by_start_time():
    letters = itertools.cycle("zyxw")
    early = new_session_id(1_000_000_000, choose=lambda _: next(letters))
    late = new_session_id(1_000_000_001, choose=lambda _: "a")
    assert sorted([late, early]) == [early, late]


def test_malformed_ids_are_not_ids():
    for text in ["../../etc", "20251125-120505-ABCD", "20251125-120505-abc1", "x", ""]:
        assert not is_session_id(text)
