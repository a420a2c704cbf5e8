"""Fixtures shared by the whole suite. Areas keep their own fixtures in their folders."""

from __future__ import annotations

import pytest

from appliance.config import Config


@pytest.fixture
def config(tmp_path) -> Config:
    """A default config whose data dir lives in the test's own temporary folder."""
    return Config(data_dir=str(tmp_path / "data"))


@pytest.fixture(scope="session", autouse=True)
def user_config_dir(tmp_path_factory):
    """The user's config folder is a temporary one: vig-unpack records accepted devices there,
    and no test may touch the real ~/.config/vig/devices.json."""
    folder = tmp_path_factory.mktemp("user-config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(folder))
        patch.setenv("APPDATA", str(folder))
        yield folder
