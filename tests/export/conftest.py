"""Fixtures of the export tests: a vault holding a complete and an interrupted session."""

from __future__ import annotations

import pytest

from tests.support.sessions import RecordedVault, record_complete_and_interrupted


@pytest.fixture
def recorded(tmp_path) -> RecordedVault:
    return record_complete_and_interrupted(tmp_path / "data")
