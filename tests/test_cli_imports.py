"""Each `vig-appliance` command imports only what it uses: listing keys or sessions, or
asking for help, loads neither PyAV, numpy nor Flask (which cost a Pi seconds per command).

Checked on the modules a fresh interpreter has loaded, not on a stopwatch: the start-up
figures themselves come from bench/bench_startup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("av", "numpy", "flask", "werkzeug", "gpiozero", "waitress", "PIL")

PROBE = """
import json, sys
from appliance.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(*argv: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("command", [["--help"], ["keys", "list"], ["sessions", "list"],
                                     ["keys", "--help"]])
def test_light_commands_load_no_media_or_web_library(tmp_path, command):
    modules = loaded_modules("--data-dir", str(tmp_path / "data"), *command)
    assert {name for name in modules if name.split(".")[0] in HEAVY} == set()
    chosen = {COMMANDS[command[0]][0]} if command[0] in COMMANDS else set()
    assert {m.rsplit(".", 1)[1] for m in modules if m.startswith("appliance.cli.")
            and m.endswith("_cmd")} == chosen


def test_the_probe_sees_what_a_heavy_command_loads(tmp_path):
    """`record --help` needs the recorder's modules to build its parser: the check can fail."""
    modules = loaded_modules("--data-dir", str(tmp_path / "data"), "record", "--help")
    assert "appliance.cli.record_cmd" in modules
    assert {"av", "numpy"} <= modules


def test_every_command_module_is_listed_and_shown_in_help(capsys):
    modules = {p.stem for p in (ROOT / "appliance" / "cli").glob("*_cmd.py")}
    assert {module for module, _ in COMMANDS.values()} == modules
    with pytest.raises(SystemExit):
        main(["--help"])
    words = " ".join(capsys.readouterr().out.split())  # as argparse wraps the lines
    for name, (_, help_line) in COMMANDS.items():
        assert f" {name} {help_line}" in words
