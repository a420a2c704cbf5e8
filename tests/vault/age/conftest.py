"""Keys shared by the age tests (generated once: they are cheap but the point is reuse)."""

from __future__ import annotations

import pytest

from appliance.vault.age import X25519Identity


@pytest.fixture(scope="module")
def key() -> X25519Identity:
    return X25519Identity.generate()
