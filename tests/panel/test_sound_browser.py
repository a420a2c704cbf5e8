"""The sound meter on a phone (390x844, touch), on the real controller in real time: it
moves before Start, and a dead microphone is said in words beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.sources.sound_check import MICROPHONE_DEAD
from appliance.sources.synthetic_microphone import SILENCE, SPEECH
from tests.support.chromium import CHROMIUM_ARGS
from tests.support.real_appliance import start_real_appliance
from tests.tooling import require_tool

from .conftest import PIN, running_panel

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "panel"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

#: True once the meter has shown three different widths and a level in dB.
METER_MOVED = """() => {
  const width = document.getElementById('audio-level').style.width;
  window.meterWidths = window.meterWidths || new Set();
  if (width) { window.meterWidths.add(width); }
  const level = document.getElementById('audio-dbfs').textContent;
  return window.meterWidths.size >= 3 && level.endsWith('dB');
}"""


@pytest.fixture
def appliance(tmp_path):
    appliance = start_real_appliance(tmp_path, width=160, height=120, fps=5, bitrate=100_000)
    yield appliance
    appliance.close()


@pytest.fixture
def controller(appliance):
    return appliance.controller


@pytest.fixture
def data_dir(appliance):
    return appliance.parts.data_dir


@pytest.fixture
def phone():
    chromium = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE)
        yield context.new_page()
        browser.close()


def test_the_meter_moves_before_start_and_a_dead_microphone_is_said_in_words(
    make_app, appliance, phone
):
    page = phone
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    microphone = appliance.parts.microphone
    microphone.hear(SPEECH)
    with running_panel(make_app, appliance.parts.config, threads=8) as (server, _):
        base = f"http://127.0.0.1:{server.port}"
        page.goto(base + "/login")
        page.fill("#pin", PIN)
        page.click("#login-button")
        page.wait_for_url(base + "/")

        page.wait_for_function(METER_MOVED, polling=100, timeout=15_000)
        assert page.inner_text("#state").lower() == "idle"
        assert page.inner_text("#sound-warning") == ""
        assert appliance.parts.vault.list_sessions() == []  # heard, not recorded
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#audio-level").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTEFACTS / "sound-meter-before-start.png"))

        microphone.hear(SILENCE)
        page.wait_for_function(
            "(words) => document.getElementById('sound-warning').textContent.includes(words)",
            arg=MICROPHONE_DEAD.message,
            timeout=15_000,
        )
        warning = page.locator("#sound-warning")
        assert warning.get_attribute("role") == "status"
        assert MICROPHONE_DEAD.hint in warning.inner_text()
        assert page.inner_text("#audio-dbfs") == "-120 dB"
        warning.scroll_into_view_if_needed()
        assert warning.is_visible()
        page.screenshot(path=str(ARTEFACTS / "sound-warning.png"))

        page.locator("#start").scroll_into_view_if_needed()
        page.tap("#start")
        page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
        assert MICROPHONE_DEAD.message in page.inner_text("#sound-warning")
        assert appliance.controller.status()["sound_warning"] == MICROPHONE_DEAD.as_dict()
        appliance.controller.stop()
        assert appliance.controller.wait_idle(30)
    assert problems == []
