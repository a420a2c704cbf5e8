"""The panel shows the controller's error state, and the practitioner can dismiss it.

The real controller on a virtual clock, whose card fills mid-session, stands behind the
panel: its status says `error` with the plain words, until a start, an export or a clear.
"""

from __future__ import annotations

import pytest

from appliance.vault.lossy_filesystem import LossyFileSystem
from tests.integration.rig import MIB, make_rig


@pytest.fixture
def rig(tmp_path):
    fs = LossyFileSystem(tmp_path / "data", free_bytes=4096 * MIB)
    rig = make_rig(tmp_path, fs=fs)
    rig.fs = fs
    return rig


@pytest.fixture
def controller(rig):
    return rig.controller


def fill_the_card_mid_session(rig) -> None:
    rig.controller.warm_up()
    rig.run_for(0.5)
    rig.controller.start()
    rig.run_for(3)
    rig.fs.set_free_bytes(32 * 1024)  # a 64 KiB chunk of video no longer fits
    rig.run_for(2)
    assert rig.controller.wait_idle(30)


def test_the_status_reports_a_failed_recording_until_it_is_dismissed(user, rig):
    fill_the_card_mid_session(rig)
    status = user.get("/api/status").get_json()
    assert status["state"] == "error"
    assert status["error"]["code"] == "recording_failed"
    assert "SD card" in status["error"]["message"]

    assert user.post("/api/clear-error", json={}).status_code == 200
    status = user.get("/api/status").get_json()
    assert (status["state"], status["error"]) == ("idle", None)


def test_the_page_has_a_way_to_dismiss_the_error(user):
    page = user.get("/").get_data(as_text=True)
    assert 'id="clear-error"' in page
