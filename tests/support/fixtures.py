"""Fixtures every area may use; tests/conftest.py registers them as a pytest plugin."""

from __future__ import annotations

import pytest

from .vaults import EnrolledVault, make_enrolled_vault


@pytest.fixture
def enrolled_vault(tmp_path) -> EnrolledVault:
    """A vault in the test's own data dir with a new practitioner key enrolled."""
    return make_enrolled_vault(tmp_path / "data")
