"""The real SounddeviceMicrophone on real PortAudio, on the kernel's loopback sound card."""

from __future__ import annotations

import pytest

from .machine import SERVICE, VirtualPi

STARTS = 30

#: Runs in the guest's venv as the service user: any exception ends it with a traceback.
START_STOP = f"""
import time
from appliance.sources import MonotonicClock
from appliance.sources.sounddevice_microphone import SounddeviceMicrophone

microphone = SounddeviceMicrophone(MonotonicClock(), sample_rate=48000, channels=1,
                                   device_substring="hw:0,1")
for attempt in range(1, {STARTS} + 1):
    blocks = []
    print(f"start {{attempt}}", flush=True)
    microphone.start(blocks.append)
    time.sleep(0.3)
    microphone.stop()
    print(f"stopped {{attempt}} after {{len(blocks)}} blocks, {{microphone.overflows}} overflows",
          flush=True)
"""


@pytest.fixture
def microphone_free(vpi: VirtualPi):
    """The service holds the microphone while it runs: stop it, and start it again after."""
    vpi.check("systemctl", "stop", SERVICE, timeout=120)
    yield
    vpi.check("systemctl", "start", SERVICE, timeout=300)


def test_thirty_starts_and_stops_in_a_row_without_a_failure(vpi: VirtualPi, microphone_free):
    result = vpi.run("runuser", "-u", "vig-appliance", "--",
                     "/opt/vig-appliance/venv/bin/python", "-c", START_STOP, timeout=600)
    stopped = [line for line in result.stdout.splitlines() if line.startswith("stopped")]
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert len(stopped) == STARTS, result.stdout
