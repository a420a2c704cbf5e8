"""vig-unpack runs on Windows and macOS: its import path needs nothing POSIX- or Pi-only."""

from __future__ import annotations

import subprocess
import sys

BLOCKED = ("fcntl", "termios", "picamera2", "libcamera", "sounddevice", "gpiozero")


def test_unpack_imports_without_posix_only_or_pi_modules():
    program = (
        "import sys\n"
        f"for name in {BLOCKED!r}:\n"
        "    sys.modules[name] = None\n"
        "import appliance.unpack.cli\n"
        "print('imported')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"
