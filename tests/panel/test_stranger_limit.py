"""A client that is not logged in may ask only so much; a logged-in phone is never held.

The limit is the server's (server_guards), on its clock (a `ManualClock` here, so
refilling needs no wait): over budget, waitress answers 429 itself, the app is not
called, and the connection is closed. An address the app has seen logged in is a phone.
"""

from __future__ import annotations

import http.client
import threading

import pytest

from appliance.config import Config
from appliance.panel.server import serve_panel
from appliance.panel.server_guards import PhoneFirstDispatcher
from appliance.panel.stranger_limiter import STRANGER_BURST, STRANGER_PER_SECOND, StrangerLimiter

from .conftest import LoggedIn, ManualClock
from .hostile_clients import stranger_addresses


@pytest.fixture
def server_clock():
    return ManualClock()


@pytest.fixture
def served(make_app, data_dir, controller, server_clock):
    stop = threading.Event()
    app = make_app(Config(data_dir=str(data_dir)), stop_event=stop)
    running = serve_panel(app, "127.0.0.1", 0, stop, threads=4, clock=server_clock)
    yield running, app
    stop.set()
    running.join(10)


def connect(running, source: str) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(
        running.host, running.port, timeout=5, source_address=(source, 0)
    )


def ask(connection: http.client.HTTPConnection, path: str, headers: dict | None = None):
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def get(running, path: str, source: str, headers: dict | None = None):
    """One request on a connection of its own."""
    connection = connect(running, source)
    try:
        return ask(connection, path, headers)
    finally:
        connection.close()


STRANGER, NEIGHBOUR = stranger_addresses(2)


def test_a_stranger_gets_a_burst_then_a_plain_429_from_the_server(served):
    running, app = served
    reached_the_app = []
    app.before_request(lambda: reached_the_app.append(1))
    connection = connect(running, STRANGER)  # a flood that keeps its connection open
    statuses = [ask(connection, "/login")[0].status for _ in range(STRANGER_BURST)]
    assert statuses == [200] * STRANGER_BURST
    assert len(reached_the_app) == STRANGER_BURST
    refused, body = ask(connection, "/login")
    assert refused.status == 429
    assert b"Too many requests from this phone" in body
    assert int(refused.getheader("Retry-After")) >= 1
    assert refused.getheader("X-Frame-Options") == "DENY"
    assert refused.getheader("Connection") == "close"
    assert running.waitress.refused_strangers == 1
    assert len(reached_the_app) == STRANGER_BURST


def test_the_bucket_refills_on_the_clock(served, server_clock):
    running, _ = served
    connection = connect(running, STRANGER)
    for _ in range(STRANGER_BURST):
        ask(connection, "/login")
    server_clock.now += 1 / STRANGER_PER_SECOND
    assert ask(connection, "/login")[0].status == 200
    assert ask(connection, "/login")[0].status == 429


def test_one_address_flooding_does_not_hold_another(served):
    running, _ = served
    connection = connect(running, STRANGER)
    for _ in range(STRANGER_BURST + 1):
        ask(connection, "/login")
    assert get(running, "/login", NEIGHBOUR)[0].status == 200


def test_a_logged_in_phone_is_never_limited(served, controller):
    running, app = served
    phone = LoggedIn(app.test_client())
    cookie = {"Cookie": f"vig_panel={phone.client.get_cookie('vig_panel').value}"}
    controller.start()
    statuses = [get(running, "/api/status", "127.0.0.1", cookie)[0].status for _ in range(60)]
    assert statuses == [200] * 60
    assert running.waitress.is_phone("127.0.0.1")
    assert not running.waitress.is_phone(STRANGER)


def test_a_phones_requests_are_taken_before_a_strangers():
    dispatcher = PhoneFirstDispatcher()  # no threads: the queue stays as it is built
    for name, first in (("stranger-1", False), ("stranger-2", False), ("phone", True)):
        dispatcher.add_task(name, first=first)
    assert list(dispatcher.queue) == ["phone", "stranger-1", "stranger-2"]


def test_a_clock_going_back_gives_a_stranger_no_tokens():
    clock = ManualClock()
    limiter = StrangerLimiter(clock, burst=2, per_second=1.0)
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")
    clock.now -= 3600
    assert not limiter.allow("a")


def test_the_limiter_forgets_the_oldest_address_past_its_bound():
    clock = ManualClock()
    limiter = StrangerLimiter(clock, burst=1, per_second=0.001, max_addresses=3)
    for address in "abcd":
        assert limiter.allow(address)
    assert not limiter.allow("d")
    assert limiter.allow("a")  # "a" was forgotten, so it starts full again


def test_a_stranger_out_of_budget_is_closed_at_accept_until_it_refills(served, server_clock):
    running, _ = served
    for _ in range(STRANGER_BURST):
        get(running, "/login", STRANGER)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        get(running, "/login", STRANGER)
    assert running.waitress.refused_at_accept == 1
    server_clock.now += 1 / STRANGER_PER_SECOND
    assert get(running, "/login", STRANGER)[0].status == 200
