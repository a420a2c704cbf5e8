"""`provisioning/dev.sh test`, the README's test command (and CI's), runs ruff and mypy
before the suite, and a failure of either fails the command before pytest starts.

dev.sh is sourced, which defines its functions without installing anything, and its venv is
a folder of stand-ins that record how they were called.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.tooling import require_tool

REPO = Path(__file__).resolve().parents[1]
DEV_SH = REPO / "provisioning" / "dev.sh"
TOOLS = ("ruff", "mypy", "python")
#: $0 is not dev.sh, so sourcing it does not run its main (which would install packages).
SOURCE_AND_TEST = 'dev_sh=$1; shift; source "$dev_sh"; run_tests "$@"'


@pytest.fixture
def venv(tmp_path):
    """A venv whose tools log their arguments, and fail if named in `failing`."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in TOOLS:
        script = bin_dir / tool
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{tool} $*" >> "{tmp_path}/calls"\n'
            f'[ -e "{tmp_path}/failing-{tool}" ] && exit 3\n'
            "exit 0\n"
        )
        script.chmod(0o755)
    return tmp_path


def run_tests(venv: Path, *pytest_args: str) -> tuple[int, list[str]]:
    bash = require_tool("bash", "bash")
    result = subprocess.run(
        [bash, "-c", SOURCE_AND_TEST, "test", str(DEV_SH), *pytest_args],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "VIG_VENV": str(venv / "venv")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = venv / "calls"
    return result.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_ruff_and_mypy_run_before_the_suite(venv):
    status, calls = run_tests(venv, "-q", "tests/vault")
    assert status == 0
    assert calls == [
        "ruff check appliance tests bench",
        "mypy ",
        "python -m pytest -q tests/vault",
    ]


@pytest.mark.parametrize("failing", ["ruff", "mypy"])
def test_a_lint_or_type_error_fails_the_command_before_pytest(venv, failing):
    (venv / f"failing-{failing}").touch()
    status, calls = run_tests(venv)
    assert status != 0
    assert calls[-1].split()[0] == failing
    assert not any(call.startswith("python") for call in calls)
