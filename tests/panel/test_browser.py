"""The panel in a real headless Chromium at phone size, on the real controller.

Log in, see the preview update, start, mark with a tag and see the count rise, stop,
see the session in the list, delete it. Screenshots of each step go to test-artefacts/.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from appliance.controls.button import ButtonControl
from appliance.controls.pins import mock_pin_factory
from appliance.controls.virtual_button import VirtualButton
from appliance.panel.app import create_app
from appliance.panel.pin_store import PinStore, panel_files
from appliance.panel.server import serve_panel
from tests.controls.conftest import FAST_GPIO
from tests.controls.real_appliance import start_real_appliance
from tests.tooling import require_tool

from .conftest import PIN

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "panel"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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


@pytest.fixture(params=[False], ids=["pi"])
def served(request, tmp_path):
    simulate = request.param
    appliance = start_real_appliance(tmp_path, gpio=FAST_GPIO)
    data_dir = appliance.parts.data_dir
    pin_path, secret_path = panel_files(data_dir)
    store = PinStore(pin_path)
    store.set(PIN)
    stop = threading.Event()
    button = None
    if simulate:
        button = ButtonControl(
            appliance.controller,
            FAST_GPIO,
            mock_pin_factory(),
            clock=appliance.parts.clock,
            shutdown=stop.set,
        )
    app = create_app(
        appliance.parts.config,
        appliance.controller,
        pin_store=store,
        secret_path=secret_path,
        stop_event=stop,
        virtual_button=VirtualButton(button.pin) if button else None,
    )
    server = serve_panel(app, "127.0.0.1", 0, stop, threads=12)
    yield appliance, f"http://127.0.0.1:{server.port}"
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
    appliance, base = served
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

    page.fill("#note", "lovely turn-taking")
    page.click("button.tag[data-tag='guiding']")
    page.wait_for_function("() => document.getElementById('mark-count').textContent === '1'")
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


def test_fits_a_360_px_phone_with_big_touch_targets(served, browser):
    _, base = served
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
    appliance, base = served
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base + "/login")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(base + "/")
    button = page.locator("#virtual-button")
    button.hover()
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('mark-count').textContent === '1'")
    page.mouse.down()
    page.wait_for_function("() => document.getElementById('state').textContent !== 'recording'")
    page.mouse.up()
    shot(page, "09-virtual-button")
    assert appliance.controller.wait_idle(10)
    (info,) = appliance.parts.vault.list_sessions()
    assert info.mark_count == 1
