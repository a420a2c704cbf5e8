"""Recording the family's consent from the panel: at Start, or later for a session without a
record; replaceable until the session is exported; bad input refused in plain words, with
nothing lost."""

from __future__ import annotations

import calendar
import time

import pytest

from appliance.controller.consent import plus_months
from tests.controls.fake_controller import FakeController

#: 2026-12-04 10:00 UTC on the fake's wall clock.
NOW = calendar.timegm((2026, 12, 4, 10, 0, 0))
GIVEN = {"filming": True, "training": False, "family_copy": True, "delete_by": "2027-03-31"}


@pytest.fixture
def controller():
    return FakeController(wall_clock=lambda: NOW)


def consent_path(session_id: str) -> str:
    return f"/api/sessions/{session_id}/consent"


def error_of(response) -> dict:
    body = response.get_json()
    assert body is not None and "error" in body, response.get_data(as_text=True)
    return body["error"]


def test_consent_given_at_start_is_stored_with_that_session(user, controller):
    session_id = user.post("/api/start", json={"case_code": "K-1"}).get_json()["result"]
    with controller.events.subscribe() as events:
        response = user.post(consent_path(session_id), json=GIVEN)
        event = events.get(timeout=1)
    assert response.status_code == 200, response.get_json()
    stored = response.get_json()["result"]
    assert controller.consents[session_id] == stored
    assert (stored["filming"], stored["training"], stored["family_copy"]) == (True, False, True)
    assert (stored["delete_by"], stored["delete_by_rule"]) == ("2027-03-31", "given")
    assert event.type == "session" and event.fields["consent_recorded"] is True
    status = user.get("/api/status").get_json()
    assert status["consent_missing"] == []
    assert status["sessions"][0]["consent_recorded"] is True


def test_the_sessions_list_and_status_name_the_sessions_without_a_record(user, controller):
    first = controller.start()
    controller.stop()
    second = controller.start()  # from the button: no phone at hand
    controller.stop()
    assert user.post(consent_path(first), json=GIVEN).status_code == 200
    status = user.get("/api/status").get_json()
    assert status["consent_missing"] == [second]
    sessions = user.get("/api/sessions").get_json()["sessions"]
    listed = {s["id"]: s["consent_recorded"] for s in sessions}
    assert listed == {first: True, second: False}


def test_with_a_clock_nobody_set_the_date_must_be_given(user, controller):
    session_id = controller.start()
    undated = {k: v for k, v in GIVEN.items() if k != "delete_by"}
    response = user.post(consent_path(session_id), json=undated)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "consent_date_needed"
    assert "Enter the date by which every copy must be deleted" in error["message"]
    assert controller.consents == {}
    assert user.get("/api/status").get_json()["consent_default"] is None
    # The end of the involvement is a date too: the delete-by date follows from it.
    ends = {**undated, "involvement_ends": "2026-12-31"}
    response = user.post(consent_path(session_id), json=ends)
    assert response.status_code == 200
    assert response.get_json()["result"]["delete_by"] == "2027-02-28"


@pytest.mark.parametrize("source", ["phone", "rtc"])
def test_with_a_believed_clock_the_default_is_two_months_from_today(user, controller, source):
    controller.time_source = source
    assert user.get("/api/status").get_json()["consent_default"] == {
        "involvement_ends": "2026-12-04", "delete_by": "2027-02-04"
    }
    session_id = controller.start()
    undated = {k: v for k, v in GIVEN.items() if k != "delete_by"}
    stored = user.post(consent_path(session_id), json=undated).get_json()["result"]
    assert stored["delete_by"] == "2027-02-04"
    assert stored["involvement_ends"] == "2026-12-04"
    assert stored["delete_by_rule"] == "end of involvement + 2 months"
    assert stored["recorded_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW))


def test_a_delete_by_date_already_past_is_refused_when_the_date_is_known(user, controller):
    controller.time_source = "phone"
    session_id = controller.start()
    response = user.post(consent_path(session_id), json={**GIVEN, "delete_by": "2026-12-03"})
    assert response.status_code == 400
    assert "already passed" in error_of(response)["message"]
    assert controller.consents == {}


def test_two_months_on_keeps_to_the_end_of_a_shorter_month():
    from datetime import date

    assert plus_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert plus_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert plus_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert plus_months(date(2026, 10, 31), 2) == date(2026, 12, 31)


def test_the_record_is_replaced_until_the_session_is_exported_then_refused(user, controller):
    session_id = controller.start()
    controller.stop()
    assert user.post(consent_path(session_id), json=GIVEN).status_code == 200
    changed = {**GIVEN, "family_copy": False}
    assert user.post(consent_path(session_id), json=changed).status_code == 200
    assert controller.consents[session_id]["family_copy"] is False
    controller.export_session(session_id)
    response = user.post(consent_path(session_id), json=GIVEN)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "consent_closed"
    assert "exported" in error["message"]
    assert controller.consents[session_id]["family_copy"] is False


HOSTILE = [
    pytest.param({**GIVEN, "name": "Jane Smith"}, "never a name", id="a name smuggled in"),
    pytest.param({**GIVEN, "filming": "yes"}, "filming: yes or no", id="yes as text"),
    pytest.param({**GIVEN, "training": None}, "supervision or training", id="no answer"),
    pytest.param({**GIVEN, "family_copy": 1}, "family: yes or no", id="one for true"),
    pytest.param({**GIVEN, "delete_by": "2027-02-30"}, "not a real date", id="30 February"),
    pytest.param({**GIVEN, "delete_by": "31/03/2027"}, "year-month-day", id="UK date order"),
    pytest.param({**GIVEN, "delete_by": "1927-03-31"}, "plausible", id="the wrong century"),
    pytest.param({**GIVEN, "delete_by": 20270331}, "year-month-day", id="a number"),
    pytest.param({**GIVEN, "involvement_ends": ["2027-01-01"]}, "year-month-day", id="a list"),
    pytest.param({**GIVEN, "delete_by": "２０２７-03-31"}, "year-month-day", id="wide digits"),
]


@pytest.mark.parametrize(("body", "words"), HOSTILE)
def test_hostile_input_is_refused_in_words_and_the_record_kept(user, controller, body, words):
    session_id = controller.start()
    assert user.post(consent_path(session_id), json=GIVEN).status_code == 200
    before = dict(controller.consents[session_id])
    response = user.post(consent_path(session_id), json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert words in error["message"]
    assert "Jane" not in error["message"]
    assert controller.consents[session_id] == before


@pytest.mark.parametrize(
    "raw",
    [b"[true, false, true]", b'"consent"', b"{" * 2000, b'{"filming": tru', b"x" * 5000],
    ids=["a list", "a string", "nested too deep", "broken JSON", "too large"],
)
def test_a_body_that_is_not_a_record_is_a_400(user, controller, raw):
    session_id = controller.start()
    response = user.post(consent_path(session_id), data=raw,
                         headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 413)
    assert error_of(response)["message"]
    assert controller.consents == {}


def test_an_unknown_or_malformed_session_id_is_refused(user, controller):
    response = user.post(consent_path("20200101-000000-zzzz"), json=GIVEN)
    assert response.status_code == 400
    assert error_of(response)["code"] == "unknown_session"
    response = user.post(consent_path("..%2F..%2Fetc"), json=GIVEN)
    assert response.status_code in (400, 404)


def test_recording_consent_needs_the_login_the_csrf_token_and_the_panels_origin(
    app, user, controller
):
    session_id = controller.start()
    response = user.client.post(consent_path(session_id), json=GIVEN)  # no CSRF header
    assert (response.status_code, error_of(response)["code"]) == (403, "csrf")
    response = user.post(consent_path(session_id), json=GIVEN,
                         headers={"Origin": "http://evil.example"})
    assert (response.status_code, error_of(response)["code"]) == (403, "cross_origin")
    stranger = app.test_client()
    response = stranger.post(consent_path(session_id), json=GIVEN)
    assert response.status_code in (401, 403)
    assert controller.consents == {}
