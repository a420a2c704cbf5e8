"""What goes onto a stick: FAT32 rules, and whole sessions oldest first when space is short."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.export.errors import NotFatSafe
from appliance.export.plan import (
    FAT32_MAX_FILE,
    PlannedSession,
    check_fat_file,
    check_fat_name,
    plan_sessions,
)


@pytest.mark.parametrize("name", ["part-0001.mp4.age", "MANIFEST.json", "20261125-203808-ebry"])
def test_fat_safe_names_pass(name):
    check_fat_name(name)


@pytest.mark.parametrize(
    "name", ["", "a" * 65, "séance.mp4", "a:b", "a/b", "trailing.", ".hidden", "a b", "CON?"]
)
def test_names_fat_cannot_hold_are_refused(name):
    with pytest.raises(NotFatSafe):
        check_fat_name(name)


def test_files_of_4_gib_are_refused():
    check_fat_file("part-0001.mp4.age", FAT32_MAX_FILE)
    with pytest.raises(NotFatSafe):
        check_fat_file("part-0001.mp4.age", FAT32_MAX_FILE + 1)


sizes = st.lists(st.integers(min_value=1, max_value=10_000), max_size=12)


@settings(max_examples=50)
@given(sizes=sizes, free=st.integers(min_value=0, max_value=60_000))
def test_plan_takes_whole_sessions_oldest_first_within_the_space(sizes, free):
    sessions = [PlannedSession(f"s{i:02d}", size) for i, size in enumerate(sizes)]
    plan = plan_sessions(sessions, free)
    assert sum(s.bytes_needed for s in plan.take) <= free
    assert sorted(plan.take + plan.left_for_space, key=lambda s: s.session_id) == sessions
    assert list(plan.take) == [s for s in sessions if s in plan.take]
    remaining = free
    for session in sessions:  # greedy, oldest first: a session left out did not fit then
        if session in plan.take:
            remaining -= session.bytes_needed
        else:
            assert session.bytes_needed > remaining


def test_unknown_free_space_tries_everything():
    sessions = [PlannedSession("a", 10), PlannedSession("b", 10**12)]
    assert plan_sessions(sessions, None).take == tuple(sessions)
