"""Clients on the Wi-Fi that have the passphrase but not the PIN, for the server's tests.

On Linux all of 127.0.0.0/8 reaches the loopback interface, so binding a client socket to
127.0.1.x before connecting makes it arrive from an address of its own: one host can play
every phone on the AP's /24.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

REQUEST_START = b"GET /login HTTP/1.1\r\nHost: panel\r\n"


def stranger_addresses(count: int) -> list[str]:
    """`count` loopback addresses standing for the AP's clients, none of them 127.0.0.1."""
    return [f"127.0.1.{n}" for n in range(1, count + 1)]


@dataclass
class DripStats:
    opened: int = 0
    closed_by_server: int = 0
    lines_sent: int = 0
    peak_open: int = 0


@dataclass
class _Held:
    address: str
    last_sent: float = 0.0
    started: bool = False


@dataclass
class Dripper:
    """Keeps up to `per_address` connections open from each address, each sending one
    header line every `interval` s and never finishing its request; a connection the
    server closes is opened again, so the server always has as many as it will accept."""

    host: str
    port: int
    addresses: list[str]
    per_address: int
    interval: float = 2.0
    stats: DripStats = field(default_factory=DripStats)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._open: dict[socket.socket, _Held] = {}
        self._thread = threading.Thread(target=self._run, name="dripper", daemon=True)

    def __enter__(self) -> Dripper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        for sock in list(self._open):
            self._drop(sock)

    def _open_one(self, address: str) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind((address, 0))
        code = sock.connect_ex((self.host, self.port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            return
        self._open[sock] = _Held(address)
        self._selector.register(sock, selectors.EVENT_READ)
        self.stats.opened += 1

    def _drop(self, sock: socket.socket) -> None:
        self._open.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        sock.close()

    def _top_up(self) -> None:
        held: dict[str, int] = {}
        for held_one in self._open.values():
            held[held_one.address] = held.get(held_one.address, 0) + 1
        for address in self.addresses:
            for _ in range(self.per_address - held.get(address, 0)):
                self._open_one(address)
        self.stats.peak_open = max(self.stats.peak_open, len(self._open))

    def _drip(self, now: float) -> None:
        for sock, held in list(self._open.items()):
            if now - held.last_sent < self.interval:
                continue
            line = b"X-Drip: %d\r\n" % int(now) if held.started else REQUEST_START
            try:
                sock.send(line)
            except BlockingIOError:
                continue  # still connecting
            except OSError:
                self.stats.closed_by_server += 1
                self._drop(sock)
            else:
                self.stats.lines_sent += 1
                held.last_sent, held.started = now, True

    def _run(self) -> None:
        next_top_up = 0.0
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)  # type: ignore[union-attr]
                except OSError:
                    data = b""
                if not data:
                    self.stats.closed_by_server += 1
                    self._drop(sock)  # type: ignore[arg-type]
            now = time.monotonic()
            self._drip(now)
            if now >= next_top_up:  # a refused address tries again once a second
                self._top_up()
                next_top_up = now + 1.0


def _drip_until_told(dripper_args: dict, stop: Any, results: Any) -> None:
    with Dripper(**dripper_args) as dripper:
        stop.wait()
    results.put(dripper.stats)


class DripperProcess:
    """A `Dripper` in a process of its own, as an attacker is: it must not share the
    server's interpreter (and its GIL) in a test of the server's latency."""

    def __init__(self, **dripper_args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._results = context.Queue()
        self._process = context.Process(
            target=_drip_until_told, args=(dripper_args, self._stop, self._results), daemon=True
        )
        self.stats: DripStats | None = None

    def __enter__(self) -> DripperProcess:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.stats = self._results.get(timeout=30)
        self._process.join(10)
