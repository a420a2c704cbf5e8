"""The consent record on a phone (Debian's Chromium, 390x844, touch): given before Start and
stored with the session that Start begins; asked for, in the sessions list, for a session
the button started. Screenshots go to test-artefacts/panel/."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from appliance.config import Config, RecordingConfig
from appliance.controller.consent import RETENTION_MONTHS, plus_months
from appliance.vault.age import AgeReader
from appliance.vault.session_files import CONSENT_FILE
from tests.support.chromium import CHROMIUM_ARGS
from tests.support.real_appliance import start_real_appliance
from tests.support.waiting import wait_until
from tests.tooling import require_tool

from .conftest import PIN, running_panel

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "panel"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 2}


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
def phone(make_app, appliance):
    """A phone logged in to the panel on the real controller, behind the real server."""
    chromium = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    config = Config(data_dir=str(appliance.parts.data_dir),
                    recording=RecordingConfig(width=160, height=120, fps=5, bitrate=100_000))
    with running_panel(make_app, config, threads=8) as (server, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(**PHONE).new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        base = f"http://127.0.0.1:{server.port}"
        page.goto(base + "/login")
        page.fill("#pin", PIN)
        page.locator("#login-button").tap()
        page.wait_for_url(base + "/")
        page.problems = problems
        yield page
        browser.close()


def shot(page, name: str, near: str) -> None:
    """What the phone's screen shows with `near` in view (a full-page picture would show
    the sticky header wherever the page was scrolled)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(near).evaluate("(el) => el.scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollBy(0, -60)")
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


def stored_consent(appliance, session_id: str) -> dict:
    path = appliance.parts.vault.sessions_dir / session_id / CONSENT_FILE
    with open(path, "rb") as raw:
        return json.loads(AgeReader(raw, [appliance.identity]).read())


def answer(page, question: int, agreed: bool) -> None:
    fieldset = page.locator("#consent fieldset").nth(question)
    fieldset.locator("label").nth(0 if agreed else 1).tap()


def thumb_sized(page, selector: str) -> None:
    for box in [e.bounding_box() for e in page.locator(selector).all()]:
        assert box["height"] >= 44 and box["width"] >= 44, selector


def test_consent_given_before_start_is_recorded_with_the_session(phone, appliance):
    page = phone
    page.locator("#use-phone-time").tap()  # the device's date is now believed
    today = datetime.datetime.now(datetime.UTC).date()
    delete_by = plus_months(today, RETENTION_MONTHS).isoformat()
    page.wait_for_function(
        f"() => document.getElementById('consent-delete-by').value === '{delete_by}'"
    )
    page.locator("#consent-summary").tap()
    answer(page, 0, True)
    answer(page, 1, False)
    answer(page, 2, True)
    assert page.input_value("#consent-involvement") == today.isoformat()
    assert "Consent ready" in page.inner_text("#consent-summary")
    thumb_sized(page, "#consent summary")
    thumb_sized(page, "#consent fieldset label")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#consent-save").is_hidden()  # Start records it
    shot(page, "consent", "#consent")

    page.fill("#case-code", "K-0417")
    page.locator("#start").tap()
    page.wait_for_function(
        "() => document.getElementById('consent-summary').textContent"
        ".startsWith('Consent recorded for the session being recorded')"
    )
    session_id = appliance.controller.status()["session"]
    stored = stored_consent(appliance, session_id)
    assert (stored["filming"], stored["training"], stored["family_copy"]) == (True, False, True)
    assert stored["delete_by"] == delete_by
    assert stored["involvement_ends"] == today.isoformat()
    # Nothing of this family's answers is left for the next session, and the form folds
    # back to its one line.
    assert page.locator("#consent input:checked").count() == 0
    assert page.locator("#consent").get_attribute("open") is None
    shot(page, "consent-recorded-at-start", "#case-code")
    page.locator("#stop").tap()
    assert appliance.controller.wait_idle(10)
    assert page.problems == []


def test_a_session_the_button_started_asks_for_its_record_in_the_list(phone, appliance):
    page = phone
    session_id = appliance.controller.start()  # as the button does: no phone involved
    page.wait_for_function(
        "() => document.getElementById('consent-summary').textContent"
        ".startsWith('No consent record for the session being recorded')"
    )
    assert wait_until(lambda: appliance.controller.status()["elapsed"] >= 1.0, timeout=10)
    appliance.controller.stop()
    assert appliance.controller.wait_idle(10)
    item = page.locator(f"#sessions li[data-session='{session_id}']")
    item.locator(".consent-state.missing").wait_for()
    assert "No consent record yet" in item.inner_text()
    assert "has no consent record" in page.inner_text("#consent-missing")
    thumb_sized(page, "#sessions button.consent-record")
    item.locator("button.consent-record").tap()
    assert page.locator("#consent").get_attribute("open") is not None
    assert page.input_value("#consent-delete-by") == ""  # the device's date is not believed
    assert "cannot suggest a date" in page.inner_text("#consent-date-hint")
    answer(page, 0, True)
    answer(page, 1, True)
    answer(page, 2, False)
    page.locator("#consent-save").tap()
    page.wait_for_function(
        "() => document.getElementById('consent-message').textContent.includes('date')"
    )
    assert not (appliance.parts.vault.sessions_dir / session_id / CONSENT_FILE).exists()
    page.fill("#consent-delete-by", "2027-03-31")
    shot(page, "consent-after-stop", "#consent")
    page.locator("#consent-save").tap()
    item.locator(".consent-state:not(.missing)").wait_for()
    assert "31" in page.inner_text("#consent-message")
    stored = stored_consent(appliance, session_id)
    assert (stored["training"], stored["family_copy"], stored["delete_by"]) == (
        True, False, "2027-03-31"
    )
    assert page.locator("#consent-missing").is_hidden()
    shot(page, "consent-listed", "#sessions")
    assert page.problems == []
