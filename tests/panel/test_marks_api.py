"""The marks of the session being recorded, from the phone: re-tag, note, remove.

Each change names its session and mark in the path, passes the login, CSRF and Origin
checks every state change passes, and a malformed one gets a 400 in plain words with no
mark lost. (tests/integration/test_session_marks.py proves what the real controller writes.)
"""

from __future__ import annotations

import pytest

from .conftest import LoggedIn, log_in

NOTE = "Mum A praises the drawing"


def marks_url(session_id: str, number: object, change: str) -> str:
    return f"/api/sessions/{session_id}/marks/{number}/{change}"


def error_of(response) -> dict:
    body = response.get_json()
    assert body is not None and "error" in body, response.get_data(as_text=True)
    return body["error"]


@pytest.fixture
def session_id(user, controller) -> str:
    """A session being recorded, with mark 1 (tagged, with a note) and mark 2."""
    session = controller.start("K-0417")
    controller.mark(tag="guiding", note="first")
    controller.mark()
    controller.calls.clear()
    return session


def listed_marks(user) -> list[dict]:
    return user.get("/api/status").get_json()["marks"]


def test_a_mark_is_re_tagged_given_a_note_and_removed(user, controller, session_id):
    tagged = user.post(marks_url(session_id, 2, "tag"), json={"tag": "being-attentive"})
    assert tagged.status_code == 200
    assert tagged.get_json()["result"]["tag_label"] == "Being attentive"
    assert user.post(marks_url(session_id, 2, "note"), json={"note": NOTE}).status_code == 200
    assert user.post(marks_url(session_id, 1, "tag"), json={"tag": None}).status_code == 200
    assert user.post(marks_url(session_id, 1, "remove"), json={"confirm": True}).status_code == 200
    assert controller.calls == [
        ("retag_mark", {"session": session_id, "number": 2, "tag": "being-attentive"}),
        ("note_mark", {"session": session_id, "number": 2}),
        ("retag_mark", {"session": session_id, "number": 1, "tag": None}),
        ("remove_mark", {"session": session_id, "number": 1}),
    ]
    (mark,) = listed_marks(user)
    assert mark == {
        "number": 2, "media_time": mark["media_time"], "tag": "being-attentive",
        "tag_label": "Being attentive", "note": NOTE,
    }  # fmt: skip


def test_the_status_lists_what_the_marks_list_shows(user, session_id):
    first, second = listed_marks(user)
    assert set(first) == {"number", "media_time", "tag", "tag_label", "note"}
    assert (first["number"], first["tag_label"], first["note"]) == (1, "Guiding", "first")
    assert (second["number"], second["tag"], second["note"]) == (2, None, None)


def test_a_removal_needs_its_confirmation(user, controller, session_id):
    response = user.post(marks_url(session_id, 1, "remove"), json={})
    assert response.status_code == 400 and "confirm" in error_of(response)["message"]
    assert len(listed_marks(user)) == 2


def test_changing_a_mark_after_stop_is_refused_in_plain_words(user, controller, session_id):
    controller.stop()
    for change, body in (("note", {"note": "late"}), ("tag", {"tag": "guiding"}),
                         ("remove", {"confirm": True})):  # fmt: skip
        response = user.post(marks_url(session_id, 1, change), json=body)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "marks_sealed"
        assert "stopped" in error["message"] and "review plan" in error["message"]


def test_a_note_for_the_last_session_never_reaches_the_next(user, controller, session_id):
    controller.stop()
    next_session = controller.start()
    controller.mark()
    response = user.post(marks_url(session_id, 1, "note"), json={"note": NOTE})
    assert response.status_code == 400 and error_of(response)["code"] == "marks_sealed"
    assert controller.status()["session"] == next_session
    assert [m["note"] for m in listed_marks(user)] == [None]


HOSTILE = [
    ("tag", {"tag": 3}, 2),
    ("tag", {"tag": ["guiding"]}, 2),
    ("tag", {"tag": "being-nice"}, 2),
    ("tag", {}, 2),
    ("note", {"note": 42}, 2),
    ("note", {"note": {"text": "x"}}, 2),
    ("note", {"note": "x" * 201}, 2),
    ("note", {"note": "x" * 5000}, 2),
    ("note", {}, 2),
    ("note", {"note": "x"}, 9),
    ("note", {"note": "x"}, 0),
    ("note", {"note": "x"}, "-1"),
    ("note", {"note": "x"}, "1.0"),
    ("note", {"note": "x"}, "abc"),
    ("note", {"note": "x"}, "9999999"),
    ("note", {"note": "x"}, "%D9%A3"),  # an Arabic-Indic three: a digit, but not 0-9
    ("remove", {"confirm": "yes"}, 2),
    ("remove", {"confirm": True}, 7),
]


@pytest.mark.parametrize(("change", "body", "number"), HOSTILE)
def test_a_hostile_change_gets_a_400_in_plain_words_and_loses_no_mark(
    user, controller, session_id, change, body, number
):
    before = listed_marks(user)
    response = user.post(marks_url(session_id, number, change), json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = error_of(response)
    assert error["message"] and "Traceback" not in error["message"]
    assert listed_marks(user) == before


@pytest.mark.parametrize("raw", [b"{", b"[1]", b'"note"', b'{"note": "x"' + b" " * 5000 + b"}"])
def test_a_malformed_body_is_refused(user, session_id, raw):
    before = listed_marks(user)
    response = user.client.post(
        marks_url(session_id, 1, "note"), data=raw,
        headers={"X-CSRF-Token": user.csrf, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400 and error_of(response)["message"]
    assert listed_marks(user) == before


def test_a_bad_session_id_in_the_path_is_refused(user, session_id):
    response = user.post(marks_url("not_a*session", 1, "note"), json={"note": "x"})
    assert response.status_code == 400


def test_half_an_emoji_in_a_later_note_keeps_the_rest(user, session_id):
    raw = b'{"note": "smiles \\ud83d"}'
    response = user.client.post(
        marks_url(session_id, 1, "note"), data=raw,
        headers={"X-CSRF-Token": user.csrf, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200
    assert listed_marks(user)[0]["note"] == "smiles \ufffd"


@pytest.mark.parametrize("change", ["tag", "note", "remove"])
def test_changes_need_the_login_the_csrf_token_and_the_panels_origin(
    make_app, controller, change
):
    session = controller.start()
    controller.mark(note="kept")
    body = {"tag": None, "note": None, "confirm": True}
    stranger = make_app().test_client()
    assert stranger.post(marks_url(session, 1, change), json=body).status_code in (401, 403)
    phone = make_app().test_client()
    log_in(phone)  # logged in, but the request carries no CSRF token
    assert phone.post(marks_url(session, 1, change), json=body).status_code == 403
    user = LoggedIn(make_app().test_client())
    foreign = user.post(
        marks_url(session, 1, change), json=body, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert controller.status()["marks"][0]["note"] == "kept"
    assert [name for name, _ in controller.calls if name.endswith("_mark")] == []
