"""The marks in a practitioner's hand: Chromium as a phone (390×844, touch, mobile) on the
real controller, its mark files read back with the practitioner's key.

The wrong family (issue 13): a note typed after mark 1 of session A is on mark 1 of
session A, and nothing of it reaches session B. Then the list: re-tag, note and remove
from the page, the removal deleting the mark's and the clip's files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.vault.age import AgeReader
from tests.support.chromium import chromium
from tests.support.real_appliance import RealAppliance, start_real_appliance
from tests.support.waiting import wait_until

from .conftest import PIN, running_panel

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "panel"
NOTE = "Mum A praises the drawing"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def appliance(data_dir) -> Iterator[RealAppliance]:
    """The real controller on real time, recording into the panel's data dir."""
    appliance = start_real_appliance(data_dir.parent)
    yield appliance
    appliance.close()


@pytest.fixture
def controller(appliance):
    """What the panel (conftest's make_app) drives: here the real controller."""
    return appliance.controller


def read_mark(path: Path, identity) -> dict:
    with open(path, "rb") as source:
        return json.loads(AgeReader(source, [identity]).read())


def session_files(appliance, session_id: str, kind: str) -> list[Path]:
    folder = appliance.parts.data_dir / "sessions" / session_id
    return sorted(folder.glob(f"{kind}-*"))


def is_problem(message) -> bool:
    """A console error, but for the icon a mobile browser asks for (the panel has none)."""
    return message.type == "error" and not message.location["url"].endswith("/favicon.ico")


@pytest.fixture
def phone(appliance, make_app):
    """A logged-in phone on the real server, its console and page errors collected."""
    with (
        running_panel(make_app, appliance.parts.config, threads=12) as (server, _),
        chromium() as browser,
    ):
        base = f"http://127.0.0.1:{server.port}"
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if is_problem(m) else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.goto(base + "/login")
        page.fill("#pin", PIN)
        page.tap("#login-button")
        page.wait_for_url(base + "/")
        yield page
        context.close()


def start(appliance, page, case_code: str) -> str:
    """Start from the device (the page's Start is other tests' concern) and wait until the
    page shows the recording, with its clock running."""
    session_id = appliance.controller.start(case_code)
    page.wait_for_function("() => document.getElementById('state').textContent === 'recording'")
    page.wait_for_function("() => document.getElementById('elapsed').textContent !== '0:00'")
    return session_id


def stop(appliance, page) -> None:
    appliance.controller.stop()
    assert appliance.controller.wait_idle(30)
    page.wait_for_function("() => document.getElementById('state').textContent === 'idle'")


def tap_mark(page, number: int) -> None:
    page.tap("#mark")
    page.wait_for_function(
        f"() => document.getElementById('mark-ack').textContent.startsWith('Mark {number} at ')"
    )


def test_a_note_typed_after_mark_one_stays_on_mark_one_of_that_family(appliance, phone):
    session_a = start(appliance, phone, "A-1")
    tap_mark(phone, 1)
    ack, mark = (phone.locator(s).bounding_box() for s in ("#mark-ack", "#mark"))
    assert 0 <= ack["y"] - (mark["y"] + mark["height"]) <= 16  # where the thumb is
    phone.tap("#note")
    phone.keyboard.type(NOTE)  # typed after the mark, as a person does
    phone.tap("button.tag[data-tag='guiding']")  # leaving the field saves the note
    phone.wait_for_function(
        "() => document.getElementById('note-state').textContent === 'Note saved on mark 1.'"
    )
    tap_mark(phone, 2)
    assert phone.input_value("#note") == ""  # the field now belongs to mark 2
    stop(appliance, phone)
    assert phone.is_disabled("#note") and phone.is_visible("#marks-sealed")
    assert "review plan" in phone.inner_text("#marks-sealed")

    session_b = start(appliance, phone, "B-2")
    assert phone.input_value("#note") == ""
    tap_mark(phone, 1)
    stop(appliance, phone)

    first_a, second_a = (read_mark(p, appliance.identity)
                         for p in session_files(appliance, session_a, "mark"))  # fmt: skip
    assert (first_a["number"], first_a["note"], first_a["tag"]) == (1, NOTE, "guiding")
    assert (second_a["number"], second_a["note"]) == (2, None)
    marks_b = [
        read_mark(p, appliance.identity) for p in session_files(appliance, session_b, "mark")
    ]
    assert [(m["number"], m["note"], m["tag"]) for m in marks_b] == [(1, None, None)]
    assert not any("Mum" in json.dumps(m) for m in marks_b)
    assert phone.problems == []


def test_the_list_re_tags_notes_and_removes_marks_until_stop(appliance, phone):
    session_id = start(appliance, phone, "K-0417")
    for number in (1, 2, 3):
        tap_mark(phone, number)
    assert [m["number"] for m in appliance.controller.status()["marks"]] == [1, 2, 3]
    items = phone.locator("#marks-list li")
    assert items.count() == 3

    # Choose mark 1 from the list: its principle and note go to it, not to mark 3.
    items.nth(0).locator(".mark-pick").tap()
    phone.wait_for_function(
        "() => document.getElementById('mark-target').textContent.includes('Mark 1 at')"
    )
    phone.tap("button.tag[data-tag='being-attentive']")
    phone.fill("#note", "waits for the child's turn")
    phone.tap("#save-note")
    phone.wait_for_function(
        "() => document.querySelector('#marks-list li[data-mark=\"1\"]').textContent"
        ".includes('waits for the child')"
    )
    items.nth(1).locator(".mark-pick").tap()
    phone.tap("button.tag[data-tag='guiding']")
    phone.wait_for_function(
        "() => document.querySelector('#marks-list li[data-mark=\"2\"]').textContent"
        ".includes('Guiding')"
    )

    # Remove mark 3: a double tap on Remove lands on nothing that removes.
    wait_until(lambda: len(session_files(appliance, session_id, "clip")) == 3, timeout=10)
    third = phone.locator("#marks-list li[data-mark='3']")
    third.locator(".mark-remove").tap()
    third.locator(".mark-remove").tap(force=True)
    assert third.locator(".remove-yes").is_disabled()
    for target in ("#marks-list", ".mark-pick", ".mark-remove", ".remove-yes", ".remove-keep",
                   "#note", "#save-note", "button.tag"):  # fmt: skip
        for box in [e.bounding_box() for e in phone.locator(target).all() if e.is_visible()]:
            assert box["height"] >= 44 and box["width"] >= 44, target
    phone.locator("#marking").scroll_into_view_if_needed()
    phone.locator("#marks-list").scroll_into_view_if_needed()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTEFACTS / "marks-list.png"))
    third.locator(".remove-yes").tap()
    phone.wait_for_function("() => !document.querySelector('#marks-list li[data-mark=\"3\"]')")

    assert wait_until(
        lambda: [p.name for p in session_files(appliance, session_id, "clip")]
        == ["clip-0001.mp4.age", "clip-0002.mp4.age"], timeout=10,
    )  # fmt: skip
    assert [p.name for p in session_files(appliance, session_id, "mark")] == [
        "mark-0001.json.age", "mark-0002.json.age",
    ]  # fmt: skip
    listed = appliance.controller.status()["marks"]
    assert [(m["number"], m["tag"], m["note"]) for m in listed] == [
        (1, "being-attentive", "waits for the child's turn"), (2, "guiding", None),
    ]  # fmt: skip
    stop(appliance, phone)
    assert phone.locator("#marks-list li").count() == 0
    assert phone.is_disabled("button.tag[data-tag='guiding']")

    first, second = (read_mark(p, appliance.identity)
                     for p in session_files(appliance, session_id, "mark"))  # fmt: skip
    assert (first["tag"], first["note"]) == ("being-attentive", "waits for the child's turn")
    assert (second["tag"], second["note"]) == ("guiding", None)
    log = appliance.parts.vault.audit.path.read_text()
    removed = [json.loads(line) for line in log.splitlines() if '"mark_removed"' in line]
    assert [(e["session"], e["mark"]) for e in removed] == [(session_id, 3)]
    for content in ("waits for the child", "being-attentive", "Guiding", "K-0417"):
        assert content not in log
    assert phone.problems == []


def test_a_note_sent_after_stop_is_refused_in_plain_words_on_the_page(appliance, phone):
    session_id = start(appliance, phone, "K-0417")
    tap_mark(phone, 1)
    phone.tap("#note")
    phone.keyboard.type("too late")
    appliance.controller.stop()  # stopped from the button before the note was saved
    phone.wait_for_function(
        "() => document.getElementById('note-state').textContent.includes('review plan')"
    )
    words = phone.inner_text("#note-state")
    assert words.startswith("Not saved on mark 1: That session has stopped")
    assert appliance.controller.wait_idle(30)
    record = read_mark(session_files(appliance, session_id, "mark")[0],
                       appliance.identity)  # fmt: skip
    assert record["note"] is None


def test_changes_from_another_phone_show_and_a_reload_rebuilds_the_list(appliance, phone):
    session_id = start(appliance, phone, "K-0417")
    tap_mark(phone, 1)
    tap_mark(phone, 2)
    appliance.controller.note_mark(session_id, 1, "from the other phone")
    appliance.controller.remove_mark(session_id, 2)
    phone.wait_for_function(
        "() => document.querySelectorAll('#marks-list li').length === 1 &&"
        " document.getElementById('marks-list').textContent.includes('from the other phone')"
    )
    assert phone.inner_text("#mark-count") == "1"
    phone.reload()
    phone.wait_for_function(
        "() => document.querySelectorAll('#marks-list li').length === 1 &&"
        " document.getElementById('mark-target').textContent.includes('Mark 1 at')"
    )
    assert phone.input_value("#note") == "from the other phone"
    tap_mark(phone, 3)  # numbers are never reused
    stop(appliance, phone)
    assert phone.problems == []
