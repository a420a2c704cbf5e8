"""Fixtures shared by the whole suite. Areas keep their own fixtures in their folders;
what several areas share lives in tests/support."""

from __future__ import annotations

import pytest

from appliance.config import Config

pytest_plugins = ["tests.support.fixtures"]


@pytest.fixture
def config(tmp_path) -> Config:
    """A default config whose data dir lives in the test's own temporary folder."""
    return Config(data_dir=str(tmp_path / "data"))
