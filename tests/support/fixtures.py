"""Fixtures every area may use; tests/conftest.py registers them as a pytest plugin."""

from __future__ import annotations

import threading

import pytest

from .vaults import EnrolledVault, make_enrolled_vault


@pytest.fixture
def enrolled_vault(tmp_path) -> EnrolledVault:
    """A vault in the test's own data dir with a new practitioner key enrolled."""
    return make_enrolled_vault(tmp_path / "data")


@pytest.fixture
def stop_event():
    """The event a background thread loops on; set at the end so no thread outlives its test."""
    event = threading.Event()
    yield event
    event.set()
