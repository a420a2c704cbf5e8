"""What the panel's waitress server adds to waitress: timers on the monotonic clock, a
deadline per request, a dead-peer timeout on every socket, and safe error pages.

The server runs on a clock the test moves (`ManualClock`): a wait here is for the
server's loop to act on the new time, which it does within one loop round (0.5 s).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from appliance.panel import server_guards
from appliance.panel.security_headers import SECURITY_HEADERS
from appliance.panel.server import (
    IDLE_TIMEOUT_SECONDS,
    REQUEST_DEADLINE_SECONDS,
    TCP_USER_TIMEOUT_MS,
    serve_panel,
)

from .conftest import ManualClock

#: Longer than a few rounds of the server's loop and its once-a-second cleanup.
SERVER_NOTICES_WITHIN = 3.0


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def broken(environ, start_response):
    raise RuntimeError("a bug in the app")


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def serve(clock):
    stops = []

    def start(app=hello):
        stop = threading.Event()
        stops.append(stop)
        return serve_panel(app, "127.0.0.1", 0, stop, threads=2, clock=clock)

    yield start
    for stop in stops:
        stop.set()


def connect(running) -> socket.socket:
    sock = socket.create_connection((running.host, running.port), timeout=SERVER_NOTICES_WITHIN)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed the connection (EOF or reset)."""
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_connections_close_on_the_monotonic_clock_when_the_wall_clock_goes_back(
    serve, clock, monkeypatch
):
    running = serve()
    sock = connect(running)
    time.sleep(0.2)  # let the server accept it before the wall clock jumps
    wall = time.time()
    monkeypatch.setattr(time, "time", lambda: wall - 86_400)  # a phone set it a day back
    clock.now += IDLE_TIMEOUT_SECONDS + 1
    assert closed_by_server(sock)


def test_an_idle_connection_stays_open_before_its_timeout(serve, clock):
    running = serve()
    sock = connect(running)
    clock.now += IDLE_TIMEOUT_SECONDS - 1
    sock.settimeout(1.5)
    assert not closed_by_server(sock)


def test_a_request_dripped_slowly_is_closed_at_its_deadline_from_its_first_byte(serve, clock):
    running = serve()
    sock = connect(running)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: panel\r\n")
    time.sleep(0.2)
    sent_for = 0.0
    sock.settimeout(0.6)
    while sent_for <= REQUEST_DEADLINE_SECONDS:
        clock.now += 2.0  # well inside the idle timeout: activity alone never ends it
        sent_for += 2.0
        sock.sendall(b"X-Drip: 1\r\n")
        if closed_by_server(sock):
            break
    assert sent_for > REQUEST_DEADLINE_SECONDS
    sock.settimeout(SERVER_NOTICES_WITHIN)
    assert closed_by_server(sock)
    assert running.waitress.closed_overdue == 1


def test_a_request_finished_in_time_is_answered(serve, clock):
    running = serve()
    sock = connect(running)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: panel\r\n")
    clock.now += REQUEST_DEADLINE_SECONDS - 1
    time.sleep(1.5)  # the cleanup runs, and must leave this request alone
    sock.sendall(b"\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def test_every_accepted_socket_drops_a_peer_that_stops_acknowledging(serve, monkeypatch):
    timeouts = []
    original = server_guards.PanelChannel.__init__

    def recording_init(self, server, sock, addr, adj, map=None):
        timeouts.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT))
        original(self, server, sock, addr, adj, map=map)

    monkeypatch.setattr(server_guards.PanelChannel, "__init__", recording_init)
    running = serve()
    for _ in range(3):
        sock = connect(running)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: panel\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.close()
    assert timeouts == [TCP_USER_TIMEOUT_MS] * 3


def response_headers(raw: bytes) -> dict[str, str]:
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in head)}


def exchange(running, request: bytes) -> bytes:
    sock = connect(running)
    sock.sendall(request)
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    sock.close()
    return reply


@pytest.mark.parametrize(
    ("app", "request_bytes", "status"),
    [
        (hello, b"GET / HTTP/1.1\r\nHost: panel\r\nContent-Length: x\r\n\r\n", b"400"),
        (hello, b"POST /login HTTP/1.1\r\nHost: panel\r\nContent-Length: 999999999\r\n\r\n",
         b"413"),
        (broken, b"GET / HTTP/1.1\r\nHost: panel\r\n\r\n", b"500"),
    ],
    ids=["malformed", "body-too-large", "app-crashed"],
)  # fmt: skip
def test_waitress_own_error_pages_carry_the_security_headers(serve, app, request_bytes, status):
    reply = exchange(serve(app), request_bytes)
    assert reply.startswith(b"HTTP/1.1 " + status), reply
    headers = response_headers(reply)
    for name, value in SECURITY_HEADERS:
        assert headers.get(name.lower()) == value, name
    assert headers.get("cache-control") == "no-store"
