"""The package imports, and says plainly what is missing, on a machine without Pi libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
for name in ("picamera2", "libcamera", "sounddevice"):
    sys.modules[name] = None  # import of each now raises ImportError
import appliance.assembly, appliance.cli, appliance.operations.doctor
from appliance.assembly import HardwareUnavailable, build_real_sources
from appliance.config import Config
from appliance.sources import MonotonicClock
try:
    build_real_sources(Config(), MonotonicClock())
except HardwareUnavailable as exc:
    print("unavailable:", exc.code)
"""


def test_package_imports_without_picamera2_or_sounddevice():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unavailable: hardware_unavailable"
