"""The panel hears the microphone before Start and says when it is dead: the real controller
with the simulated microphone, on a virtual clock the test moves."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from appliance.assembly import Parts, build_parts
from appliance.config import Config, RecordingConfig, StorageConfig
from appliance.panel.pages import PANEL_PARTS
from appliance.sources import SyntheticMicrophone, VirtualClock
from appliance.sources.sound_check import DEAD_SECONDS, MICROPHONE_DEAD
from appliance.sources.synthetic_microphone import SILENCE
from tests.support.vaults import make_enrolled_vault


@dataclass
class Appliance:
    parts: Parts

    @property
    def microphone(self) -> SyntheticMicrophone:
        assert isinstance(self.parts.microphone, SyntheticMicrophone)
        return self.parts.microphone

    def run_for(self, seconds: float) -> None:
        """Virtual time passes, with the supervisor's once-a-second poll."""
        clock = self.parts.clock
        assert isinstance(clock, VirtualClock)
        end = clock.now() + seconds
        while clock.now() < end:
            clock.run_until(min(end, clock.now() + 1.0))
            self.parts.controller.poll()


@pytest.fixture
def appliance(tmp_path):
    data_dir = tmp_path / "data"
    config = Config(
        data_dir=str(data_dir),
        recording=RecordingConfig(width=160, height=120, fps=5, bitrate=100_000),
        storage=StorageConfig(reserve_bytes=1024**2, start_headroom_minutes=0.0),
    )
    vault, _ = make_enrolled_vault(data_dir, storage=config.storage, recording=config.recording)
    parts = build_parts(
        config, data_dir, simulate=True, clock=VirtualClock(100.0), vault=vault,
        usb_dir=tmp_path / "usb",
    )  # fmt: skip
    yield Appliance(parts)
    parts.controller.shutdown()


@pytest.fixture
def controller(appliance):
    return appliance.parts.controller


@pytest.fixture
def data_dir(appliance):
    return appliance.parts.data_dir


def next_event(stream, name: str) -> dict:
    for chunk in stream:
        text = chunk.decode()
        if text.startswith(f"event: {name}\n"):
            return json.loads(text.split("data: ", 1)[1])
    raise AssertionError(f"the stream ended before a {name!r} event")


def test_the_page_loads_the_sound_part_and_has_a_line_for_its_warning(user):
    assert "sound" in PANEL_PARTS
    page = user.get("/").get_data(as_text=True)
    assert 'src="/static/sound.js"' in page
    assert page.index("/static/panel.js") < page.index("/static/sound.js")
    assert 'id="sound-warning"' in page and 'role="status"' in page


def test_the_level_reaches_the_open_page_before_start(user, appliance):
    response = user.get("/api/events", buffered=False)
    stream = iter(response.response)
    first = next_event(stream, "status")
    assert first["state"] == "idle" and first["sound_warning"] is None
    appliance.run_for(2.0)  # opening the page warmed the sources
    sound = next_event(stream, "sound")
    while sound["audio_dbfs"] is None:
        sound = next_event(stream, "sound")
    response.close()
    assert sound["audio_dbfs"] == pytest.approx(-60.0, abs=3.0)
    assert sound["warning"] is None
    status = user.get("/api/status").get_json()
    assert status["state"] == "idle" and status["audio_dbfs"] is not None
    assert status["sessions"] == []


def test_a_dead_microphone_is_said_before_start_and_in_the_first_status_after_it(
    user, appliance
):
    appliance.microphone.hear(SILENCE)
    appliance.parts.controller.warm_up()
    appliance.run_for(DEAD_SECONDS + 1.0)
    before = user.get("/api/status").get_json()
    assert before["sound_warning"] == MICROPHONE_DEAD.as_dict()
    assert before["audio_dbfs"] == -120.0

    assert user.post("/api/start", json={}).status_code == 200
    after = user.get("/api/status").get_json()  # no time has passed on the device
    assert after["state"] == "recording"
    assert after["sound_warning"]["message"] == MICROPHONE_DEAD.message
    assert user.post("/api/stop").status_code == 200
    assert appliance.parts.controller.wait_idle(30)
