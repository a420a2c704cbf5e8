"""A mark lands at the moment of the tap, not when a busy server got round to it.

The page stamps the tap on the device's monotonic clock (an offset learnt from the
heartbeats); the device believes a stamp from at most 3 s before the request arrived,
never one after it, and otherwise uses the arrival, which the server notes as the
request's last byte comes in (before it waits for a worker thread).
"""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest

from appliance.config import Config
from appliance.panel.inputs import TAP_STAMP_WINDOW_SECONDS

from .conftest import running_panel


def marked_at(controller) -> float | None:
    (call,) = [fields for name, fields in controller.calls if name == "mark"]
    return call["at"]


def test_a_tap_stamp_inside_the_window_is_the_marks_moment(user, controller):
    controller.start()
    tapped = controller.clock.now() - 1.2
    response = user.post("/api/mark", json={"tag": "guiding", "tapped_at": tapped})
    assert response.status_code == 200
    assert marked_at(controller) == tapped


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(lambda now: now + 5, id="after-arrival"),
        pytest.param(lambda now: now - TAP_STAMP_WINDOW_SECONDS - 0.5, id="too-old"),
        pytest.param(lambda now: "a moment ago", id="not-a-number"),
        pytest.param(lambda now: True, id="a-boolean"),
        pytest.param(lambda now: float("nan"), id="nan"),
    ],
)
def test_an_unbelievable_stamp_is_ignored_and_the_mark_still_counts(user, controller, stamp):
    controller.start()
    body = json.dumps({"tag": "guiding", "tapped_at": stamp(controller.clock.now())})
    headers = {"X-CSRF-Token": user.csrf, "Content-Type": "application/json"}
    response = user.client.post("/api/mark", data=body, headers=headers)
    assert response.status_code == 200
    assert marked_at(controller) is None  # the controller's own now: the arrival
    assert len(controller.marks) == 1


@pytest.fixture
def served(make_app, data_dir, controller):
    with running_panel(make_app, Config(data_dir=str(data_dir)), threads=2) as (running, user):
        controller.start()
        yield running, user


def post_mark(running, user, body: dict) -> int:
    connection = http.client.HTTPConnection(running.host, running.port, timeout=5)
    connection.request(
        "POST",
        "/api/mark",
        body=json.dumps(body),
        headers={
            "Cookie": f"vig_panel={user.client.get_cookie('vig_panel').value}",
            "X-CSRF-Token": user.csrf,
            "Content-Type": "application/json",
        },
    )
    status = connection.getresponse().status
    connection.close()
    return status


BUSY_SECONDS = 0.5


def test_without_a_stamp_the_server_uses_the_moment_the_request_arrived(
    served, controller, monkeypatch
):
    """Both worker threads are busy when the Mark arrives, so it waits for one; its
    moment is still when it arrived."""
    running, user = served
    original_status = controller.status
    both_busy = threading.Barrier(3)

    def slow_status():
        both_busy.wait()
        time.sleep(BUSY_SECONDS)
        return original_status()

    monkeypatch.setattr(controller, "status", slow_status)
    cookie = f"vig_panel={user.client.get_cookie('vig_panel').value}"
    busy = [http.client.HTTPConnection(running.host, running.port, timeout=5) for _ in range(2)]
    for connection in busy:
        connection.request("GET", "/api/status", headers={"Cookie": cookie})
    both_busy.wait()
    sent = time.monotonic()
    assert post_mark(running, user, {"tag": "guiding"}) == 200
    handled = [fields for name, fields in controller.calls if name == "mark"]
    at = handled[0]["at"]
    assert time.monotonic() - sent >= BUSY_SECONDS * 0.8  # it did wait for a thread
    assert sent <= at < sent + BUSY_SECONDS / 2
    for connection in busy:
        connection.getresponse().read()
        connection.close()


def test_a_stamp_is_judged_against_the_arrival_not_the_handling(served, controller):
    running, user = served
    tapped = controller.clock.now() - 0.5
    assert post_mark(running, user, {"tapped_at": tapped}) == 200
    (mark,) = [fields for name, fields in controller.calls if name == "mark"]
    assert mark["at"] == tapped
