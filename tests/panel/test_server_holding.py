"""Holding connections: strangers on every other address of the AP cannot lock the panel.

Every address of the AP's /24 but the practitioner's opens as many connections as the
server accepts, each dripping a header line and never finishing its request. The
practitioner's phone still gets the login page and a Mark within a second, no address
ever holds more than its cap, and a request still unfinished at its deadline is closed.
"""

from __future__ import annotations

import http.client
import time

import pytest

from appliance.config import Config
from appliance.panel import server_guards
from appliance.panel.server import (
    AP_CLIENT_ADDRESSES,
    CONNECTION_LIMIT,
    CONNECTIONS_PER_ADDRESS,
    REQUEST_DEADLINE_SECONDS,
)

from .conftest import running_panel
from .hostile_clients import DripperProcess, stranger_addresses

ANSWER_WITHIN_SECONDS = 1.0
#: Each held connection sends a header line this often (the trial's attack: every 10 s).
DRIP_SECONDS = 5.0
#: Long enough for the first connections to pass their deadline and be opened again.
ATTACK_SECONDS = REQUEST_DEADLINE_SECONDS + 3


@pytest.fixture
def peak_per_address(monkeypatch):
    """The most connections any one address held, read on the server as each is accepted."""
    peak = {"connections": 0}
    original = server_guards.PanelChannel.__init__

    def counting_init(self, server, sock, addr, adj, map=None):
        original(self, server, sock, addr, adj, map=map)
        peak["connections"] = max(peak["connections"], server.open_by_host[self.host])

    monkeypatch.setattr(server_guards.PanelChannel, "__init__", counting_init)
    return peak


@pytest.fixture
def server(make_app, data_dir, controller, peak_per_address):
    with running_panel(make_app, Config(data_dir=str(data_dir)), threads=8) as (running, user):
        controller.start()
        yield running, user


def timed_practitioner_requests(running, user) -> list[tuple[str, int, float]]:
    """The practitioner's phone (127.0.0.1): the login page, then a Mark; a new
    connection for each, as a phone opens one when its old ones are busy."""
    cookie = f"vig_panel={user.client.get_cookie('vig_panel').value}"
    results = []
    for method, path, body, headers in (
        ("GET", "/login", None, {}),
        ("POST", "/api/mark", '{"tag":"guiding"}',
         {"Cookie": cookie, "X-CSRF-Token": user.csrf, "Content-Type": "application/json"}),
    ):  # fmt: skip
        started = time.monotonic()
        connection = http.client.HTTPConnection(running.host, running.port, timeout=5)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        results.append((path, response.status, time.monotonic() - started))
    return results


def test_every_other_address_dripping_cannot_lock_the_practitioner_out(server, peak_per_address):
    running, user = server
    strangers = stranger_addresses(AP_CLIENT_ADDRESSES - 1)
    timings, held = [], 0
    with DripperProcess(
        host=running.host,
        port=running.port,
        addresses=strangers,
        per_address=CONNECTIONS_PER_ADDRESS + 2,
        interval=DRIP_SECONDS,
    ) as dripper:
        ends = time.monotonic() + ATTACK_SECONDS
        while time.monotonic() < ends:
            timings += timed_practitioner_requests(running, user)
            held = max(held, len(running.waitress.active_channels))
            time.sleep(0.5)
    guards = running.waitress
    assert dripper.stats is not None
    print(
        f"\nheld by strangers at the most: {held} connections; "
        f"refused at accept: {guards.refused_at_accept}; closed at their deadline: "
        f"{guards.closed_overdue}; peak per address: {peak_per_address['connections']}"
    )
    for path in ("/login", "/api/mark"):
        seconds = sorted(t for p, _, t in timings if p == path)
        print(f"{path}: n={len(seconds)} median {seconds[len(seconds) // 2] * 1000:.0f} ms, "
              f"max {seconds[-1] * 1000:.0f} ms")  # fmt: skip
    assert held >= len(strangers) * CONNECTIONS_PER_ADDRESS * 0.9, "the attack did not hold"
    assert held < CONNECTION_LIMIT
    assert all(status == 200 for _, status, _ in timings), timings
    assert max(t for _, _, t in timings) < ANSWER_WITHIN_SECONDS, timings
    assert peak_per_address["connections"] <= CONNECTIONS_PER_ADDRESS
    assert guards.refused_at_accept > 0
    assert guards.closed_overdue >= len(strangers) * CONNECTIONS_PER_ADDRESS * 0.9
    assert dripper.stats.closed_by_server >= guards.closed_overdue
