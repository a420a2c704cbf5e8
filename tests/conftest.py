"""Fixtures shared by the whole suite. Areas keep their own fixtures in their folders;
what several areas share lives in tests/support."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import Config

pytest_plugins = ["tests.support.fixtures"]


@pytest.fixture
def config(tmp_path) -> Config:
    """A default config whose data dir lives in the test's own temporary folder."""
    return Config(data_dir=str(tmp_path / "data"))


def _user_config_in(folder, patch) -> None:
    patch.setenv("XDG_CONFIG_HOME", str(folder))
    patch.setenv("APPDATA", str(folder))


@pytest.fixture(scope="module", autouse=True)
def module_user_config_dir(tmp_path_factory):
    """The user's config folder is a temporary one: vig-unpack records accepted devices there,
    and no test may touch the real ~/.config/vig/devices.json. One per module, for the
    module-wide fixtures; each test then gets its own (`user_config_dir`), so a device key
    accepted in one test is never "changed" in another."""
    with pytest.MonkeyPatch.context() as patch:
        _user_config_in(tmp_path_factory.mktemp("user-config"), patch)
        yield


@pytest.fixture(autouse=True)
def user_config_dir(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("user-config")
    _user_config_in(folder, monkeypatch)
    return folder


#: The virtual Pi's tests boot a VM under emulation (minutes): they run when asked for by
#: path (`provisioning/dev.sh test tests/virtual_pi`), not in the default run.
VIRTUAL_PI_TESTS = Path(__file__).parent / "virtual_pi"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path != VIRTUAL_PI_TESTS:
        return None
    asked = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
             for arg in config.args]
    return not any(path.is_relative_to(VIRTUAL_PI_TESTS) for path in asked)
