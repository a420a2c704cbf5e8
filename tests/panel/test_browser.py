"""The panel in a real headless Chromium at phone size, on the real controller.

Log in, see the preview update, start, mark with a tag and see the count rise, stop,
see the session in the list, delete it. Screenshots of each step go to test-artefacts/.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.pins import mock_pin_factory
from appliance.controls.virtual_button import VirtualButton
from appliance.panel.app import create_app
from appliance.panel.pin_store import PinStore, panel_files
from appliance.panel.server import serve_panel
from tests.support.chromium import CHROMIUM_ARGS
from tests.support.gpio import FAST_GPIO, ButtonClock
from tests.support.real_appliance import RealAppliance, start_real_appliance
from tests.tooling import require_tool

from .conftest import PIN

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "panel"
PREVIEW_HASH = """() => {
  const img = document.getElementById('preview');
  if (!img.naturalWidth) { return null; }
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 0;
  for (let i = 0; i < data.length; i += 7) { hash = (hash * 31 + data[i]) | 0; }
  return hash;
}"""


class PressReportingButton(VirtualButton):
    """The virtual button, telling the test when a press from the page has reached the pin
    (gpiozero runs the button's `when_pressed` before `drive_low` returns)."""

    def __init__(self, pin) -> None:
        super().__init__(pin)
        self.pressed = threading.Event()

    def press(self) -> None:
        super().press()
        self.pressed.set()


@dataclass
class Served:
    appliance: RealAppliance
    base: str
    #: Only with the virtual button: the time its holds are measured on. It stands still
    #: unless the test moves it, so a press lasts what the test says, however long the
    #: page's HTTP round trips take on a loaded machine.
    button_clock: ButtonClock | None = None
    virtual_button: PressReportingButton | None = None

    def catch_up_button_clock(self) -> None:
        """Bring the button's clock to the appliance's, so a press is stamped on its timeline."""
        assert self.button_clock is not None
        self.button_clock.catch_up_with(self.appliance.parts.clock)


@pytest.fixture(params=[False], ids=["pi"])
def served(request, tmp_path):
    simulate = request.param
    appliance = start_real_appliance(tmp_path, gpio=FAST_GPIO)
    data_dir = appliance.parts.data_dir
    pin_path, secret_path = panel_files(data_dir)
    store = PinStore(pin_path)
    store.set(PIN)
    stop = threading.Event()
    button = button_clock = virtual_button = None
    if simulate:
        button_clock = ButtonClock(appliance.parts.clock.now())
        button = ButtonControl(
            appliance.controller,
            FAST_GPIO,
            mock_pin_factory(),
            clock=button_clock,
            shutdown=stop.set,
        )
        virtual_button = PressReportingButton(button.pin)
    app = create_app(
        appliance.parts.config,
        appliance.controller,
        pin_store=store,
        secret_path=secret_path,
        stop_event=stop,
        virtual_button=virtual_button,
    )
    server = serve_panel(app, "127.0.0.1", 0, stop, threads=12)
    yield Served(appliance, f"http://127.0.0.1:{server.port}", button_clock, virtual_button)
    stop.set()
    server.join(10)
    if button is not None:
        button.close()
    appliance.close()


@pytest.fixture
def browser():
    chromium = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_a_whole_session_from_the_phone(served, browser):
    appliance, base = served.appliance, served.base
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(base + "/")
    assert page.url.endswith("/login")
    shot(page, "01-login")
    page.fill("#pin", "000000")
    page.click("#login-button")
    assert "not right" in page.inner_text("#login-message")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(base + "/")
    problems.clear()  # the wrong PIN's 401 is logged by the browser, as it should be

    page.wait_for_function(
        "() => document.getElementById('preview').naturalWidth > 0", timeout=10000
    )
    first = page.evaluate(PREVIEW_HASH)
    page.wait_for_function(f"(first) => ({PREVIEW_HASH})() !== first", arg=first, timeout=10000)
    shot(page, "02-ready-with-preview")

    page.locator("#use-phone-time").click()
    page.locator("#time-offer").wait_for(state="hidden")
    assert appliance.controller.status()["time_source"] == "phone"

    page.fill("#case-code", "K-0417")
    page.click("#start")
    page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
    page.wait_for_function("() => document.getElementById('elapsed').textContent !== '0:00'")
    assert appliance.controller.status()["case_code"] == "K-0417"
    assert page.input_value("#case-code") == ""
    shot(page, "03-recording")

    page.click("#mark")
    page.wait_for_function("() => document.getElementById('mark-count').textContent === '1'")
    page.click("button.tag[data-tag='guiding']")  # a principle and a note go to that mark
    page.fill("#note", "lovely turn-taking")
    page.click("#save-note")
    page.wait_for_function(
        "() => document.getElementById('note-state').textContent === 'Note saved on mark 1.'"
    )
    page.click("#mark")
    page.wait_for_function("() => document.getElementById('mark-count').textContent === '2'")
    shot(page, "04-marked")
    marks = appliance.controller.status()["marks"]
    assert [(m["tag"], m["note"]) for m in marks] == [
        ("guiding", "lovely turn-taking"),
        (None, None),
    ]

    page.click("#stop")
    page.wait_for_function("() => document.getElementById('state').textContent === 'idle'")
    page.wait_for_function(
        "() => (document.querySelector('#sessions li[data-session]') || {}).textContent"
        " ?.includes('complete')"
    )
    item = page.locator("#sessions li[data-session]")
    assert "2 marks" in item.inner_text()
    shot(page, "05-stopped-session-listed")

    item.locator("button.delete").click()
    shot(page, "06-confirm-delete")
    item.locator("button.confirm").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#sessions li[data-session]').length === 0"
    )
    shot(page, "07-deleted")
    assert appliance.parts.vault.list_sessions() == []
    assert problems == []


def test_a_failed_recording_shows_the_error_until_it_is_dismissed(served, browser):
    appliance, base = served.appliance, served.base
    phones = browser.new_context(viewport={"width": 390, "height": 844})
    page = phones.new_page()
    page.goto(base + "/login")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(base + "/")
    page.click("#start")
    page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
    appliance.controller.camera.stop()  # the camera hangs: the controller stops and says so
    page.wait_for_function(
        "() => document.getElementById('state').textContent === 'error'", timeout=15000
    )
    assert page.locator("#error").is_visible()
    assert "camera" in page.inner_text("#error-text")
    assert page.is_enabled("#start")  # a fresh start is how the practitioner carries on
    dismiss = page.locator("#clear-error").bounding_box()
    assert dismiss["height"] >= 44 and dismiss["width"] >= 44
    shot(page, "09-error")
    other = phones.new_page()  # a second phone, logged in with the same cookie
    other.goto(base + "/")
    other.locator("#error").wait_for(state="visible")
    page.click("#clear-error")
    for phone in (page, other):
        phone.locator("#error").wait_for(state="hidden")
        phone.wait_for_function("() => document.getElementById('state').textContent === 'idle'")
    assert appliance.controller.status()["error"] is None


HELD_UP_SECONDS = 1.5


def test_a_mark_held_up_on_the_way_lands_at_the_moment_of_the_tap(served, browser):
    """The page stamps the tap on the device's clock (learnt from the heartbeats), so a
    Mark the network holds up for 1.5 s is still recorded at the tap."""
    appliance, base = served.appliance, served.base
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base + "/login")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(base + "/")
    page.click("#start")
    page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
    page.wait_for_function("() => document.getElementById('elapsed').textContent !== '0:00'")
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/mark") else 0)

    def lateness_of_mark(count: int) -> float:
        elapsed_at_tap = appliance.controller.status()["elapsed"]
        page.click("#mark")
        page.wait_for_function(
            f"() => document.getElementById('mark-count').textContent === '{count}'"
        )
        return appliance.controller.status()["marks"][-1]["media_time"] - elapsed_at_tap

    on_time = lateness_of_mark(1)

    def hold_up(route):
        time.sleep(HELD_UP_SECONDS)
        route.continue_()

    page.route("**/api/mark", hold_up)
    held_up = lateness_of_mark(2)
    print(f"\nmark lateness: {on_time * 1000:.0f} ms on time, {held_up * 1000:.0f} ms held up")
    assert all("tapped_at" in body for body in sent)
    assert held_up - on_time < 0.3
    page.click("#stop")


def test_fits_a_360_px_phone_with_big_touch_targets(served, browser):
    base = served.base
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(base + "/login")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(base + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("#start", "#stop", "#mark", "button.tag", "#case-code", "#note"):
        for box in [e.bounding_box() for e in page.locator(selector).all()]:
            assert box["height"] >= 44 and box["width"] >= 44, selector
    shot(page, "08-360px")


@pytest.mark.parametrize("served", [True], ids=["simulated"], indirect=True)
def test_virtual_button_presses_and_holds_like_the_real_one(served, browser):
    """Press to start, press to mark, hold to stop: the holds are measured on the button's
    clock, which moves only when the test holds the button down on purpose."""
    appliance, base = served.appliance, served.base
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base + "/login")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(base + "/")
    button = page.locator("#virtual-button")
    button.hover()
    served.catch_up_button_clock()
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
    served.catch_up_button_clock()
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('mark-count').textContent === '1'")
    served.catch_up_button_clock()
    served.virtual_button.pressed.clear()
    page.mouse.down()
    assert served.virtual_button.pressed.wait(10), "the press never reached the pin"
    served.button_clock.advance(FAST_GPIO.stop_hold_seconds + 0.01)
    page.wait_for_function("() => document.getElementById('state').textContent !== 'recording'")
    page.mouse.up()
    shot(page, "09-virtual-button")
    assert appliance.controller.wait_idle(10)
    (info,) = appliance.parts.vault.list_sessions()
    assert info.mark_count == 1
