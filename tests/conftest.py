"""Fixtures shared by the whole suite. Areas keep their own fixtures in their folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import Config


@pytest.fixture
def config(tmp_path) -> Config:
    """A default config whose data dir lives in the test's own temporary folder."""
    return Config(data_dir=str(tmp_path / "data"))


#: The virtual Pi's tests boot a VM under emulation (minutes): they run when asked for by
#: path (`provisioning/dev.sh test tests/virtual_pi`), not in the default run.
VIRTUAL_PI_TESTS = Path(__file__).parent / "virtual_pi"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path != VIRTUAL_PI_TESTS:
        return None
    asked = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
             for arg in config.args]
    return not any(path.is_relative_to(VIRTUAL_PI_TESTS) for path in asked)
