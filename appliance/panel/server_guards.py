"""waitress, held against a client on the Wi-Fi that has the passphrase but not the PIN.

waitress alone has one global `connection_limit` and an inactivity timer, so ~100
connections that each drip a header line every 10 s held every slot and nobody reached
the panel. These subclasses of its server, channel, parser and tasks add what it lacks:

- a cap on the connections one address may hold, applied at accept: with the global limit
  above every address's cap together, the practitioner's phone always gets in;
- a deadline for each request, counted from its first byte and checked every second, which
  a client that drips bytes cannot push back;
- TCP_USER_TIMEOUT on every accepted socket, so a phone that vanished without a FIN (out
  of range, battery gone) is dropped once its data goes unacknowledged for ~20 s, and the
  stream it held ends; the status stream's heartbeat keeps data in flight;
- every timer on the monotonic clock: waitress stamps activity with `time.time()`, and a
  clock set back (from a phone) stopped it from closing idle connections;
- waitress's own error pages (400, 413, 500) with the panel's security headers;
- each request's completion time, on the device's monotonic clock, in its WSGI environ
  (`RECEIVED_AT`), so that a mark made under load is not stamped late;
- a rate limit per address on clients not logged in, applied before the app is called:
  over its budget, a request gets waitress's own small 429 (no page is rendered, no
  Flask) and its connection is closed, and a new connection is closed at accept until
  the budget refills. An address the app has seen a logged-in request
  from (it calls `PHONE_SEEN` in the environ) is a phone: never limited, and its
  requests go to the front of the queue for a worker thread, so a Mark does not wait
  behind a flood.
"""

from __future__ import annotations

import functools
import logging
import math
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask
from waitress.utilities import Error

from .security_headers import NO_STORE, SECURITY_HEADERS
from .stranger_limiter import StrangerLimiter

log = logging.getLogger(__name__)

#: The WSGI environ key holding when the request's last byte arrived (device monotonic s).
RECEIVED_AT = "vig.received_at"
#: The WSGI environ key of a function the app calls once it knows the request is logged in.
PHONE_SEEN = "vig.phone_seen"
#: An address that made a logged-in request within this long counts as a phone.
PHONE_MEMORY_SECONDS = 3600.0
#: The most connections accepted in one wake of the listening socket: a connect flood
#: then cannot keep the practitioner's connection waiting in the backlog for long.
ACCEPTS_PER_WAKE = 64


class StampedRequestParser(HTTPRequestParser):
    """waitress's request parser, noting when the first and the last byte arrived."""

    first_byte_at: float | None = None
    received_at: float | None = None

    def __init__(self, adj: Any, *, clock: Callable[[], float]) -> None:
        super().__init__(adj)
        self._clock = clock

    def received(self, data: bytes) -> int:
        if self.first_byte_at is None and data:
            self.first_byte_at = self._clock()
        consumed = super().received(data)
        if self.completed and self.received_at is None:
            self.received_at = self._clock()
        return consumed


class TooManyRequests(Error):
    code = 429
    reason = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests from this phone. Wait {retry_after} s, then try again."
        )
        self.retry_after = retry_after


class PanelTask(WSGITask):
    """A request handed to the app, with its arrival time in the environ and the way to
    tell the server its address is a logged-in phone."""

    channel: PanelChannel

    def get_environment(self) -> dict[str, Any]:
        environ = super().get_environment()
        environ[RECEIVED_AT] = getattr(self.request, "received_at", None)
        environ[PHONE_SEEN] = functools.partial(self.channel.server.saw_phone, self.channel.host)
        return environ


class PanelErrorTask(ErrorTask):
    """waitress's own error page (bad request, body too large, too many requests,
    internal error), with the headers every panel page carries."""

    def execute(self) -> None:
        extra = [*SECURITY_HEADERS, NO_STORE]
        error = getattr(self.request, "error", None)
        if isinstance(error, TooManyRequests):
            extra.append(("Retry-After", str(error.retry_after)))
        self.response_headers = [*extra, *self.response_headers]
        super().execute()


class PhoneFirstDispatcher(ThreadedTaskDispatcher):
    """waitress's worker threads, taking a phone's requests before any stranger's."""

    def add_task(self, task: Any, *, first: bool = False) -> None:
        with self.lock:
            if first:
                self.queue.appendleft(task)
            else:
                self.queue.append(task)
            self.queue_cv.notify()


class PanelChannel(HTTPChannel):
    """One client connection: counted against its address, timed on the monotonic clock."""

    task_class = PanelTask
    error_task_class = PanelErrorTask
    server: PanelTcpServer
    _counted = False

    def __init__(self, server: PanelTcpServer, sock: Any, addr: Any, adj: Any, map: Any = None):
        self._last_activity_at = server.clock()
        super().__init__(server, sock, addr, adj, map=map)
        # An instance attribute: waitress makes each request's parser with
        # `self.parser_class(self.adj)`, and this one needs the server's clock.
        self.parser_class = functools.partial(  # type: ignore[assignment]
            StampedRequestParser, clock=server.clock
        )
        self.host = addr[0]
        server.open_by_host[self.host] += 1
        self._counted = True

    # waitress assigns `last_activity = time.time()` in several places and compares it
    # with `time.time()` in its idle cleanup; whatever it assigns, the monotonic now is kept.
    @property  # type: ignore[override]
    def last_activity(self) -> float:
        return self._last_activity_at

    @last_activity.setter
    def last_activity(self, _wall_time: float) -> None:
        self._last_activity_at = self.server.clock()

    def request_overdue(self, now: float, deadline: float) -> bool:
        """A request is being received (not one queued behind a running one) and its
        first byte came more than `deadline` seconds ago."""
        partial = self.request
        started = getattr(partial, "first_byte_at", None)
        return not self.requests and started is not None and now - started > deadline

    def del_channel(self, map: Any = None) -> None:
        super().del_channel(map)
        if self._counted:
            self._counted = False
            self.server.forget(self.host)


class PanelTcpServer(TcpWSGIServer):
    """waitress's TCP server with a per-address cap, request deadlines and monotonic timers.

    `clock` is the device's monotonic clock (the controller's): idle cleanup, deadlines and
    the arrival stamps all run on it.
    """

    channel_class = PanelChannel
    #: waitress's own cleanup compares this with time.time(); it never comes due, as
    #: `readable` runs the cleanup on the monotonic clock instead.
    next_channel_cleanup = math.inf  # type: ignore[assignment]
    active_channels: dict[int, PanelChannel]  # type: ignore[assignment]  # (the stubs say one)
    _map: dict[int, Any]
    effective_host: str
    effective_port: str

    task_dispatcher: PhoneFirstDispatcher

    def __init__(
        self,
        application: Any,
        *,
        clock: Callable[[], float],
        per_host_limit: int,
        request_deadline: float,
        user_timeout_ms: int,
        strangers: StrangerLimiter,
        **kwargs: Any,
    ) -> None:
        self.clock = clock
        self.strangers = strangers
        self.phones: dict[str, float] = {}
        self.refused_strangers = 0
        self.per_host_limit = per_host_limit
        self.request_deadline = request_deadline
        self.user_timeout_ms = user_timeout_ms
        self.open_by_host: Counter[str] = Counter()
        self.refused_at_accept = 0
        self.closed_overdue = 0
        self._next_maintenance_at = clock()
        super().__init__(application, **kwargs)

    def readable(self) -> bool:
        now = self.clock()
        if now >= self._next_maintenance_at:
            self._next_maintenance_at = now + self.adj.cleanup_interval
            self.maintenance(now)
        return bool(super().readable())

    def maintenance(self, now: float) -> None:
        """waitress's idle cleanup (a connection with no request under way and nothing
        received or sent for `channel_timeout`), on the monotonic clock; and the deadline
        of a request being received."""
        idle_since = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if channel.will_close:
                continue
            if not channel.requests and channel.last_activity < idle_since:
                channel.will_close = True
            elif channel.request_overdue(now, self.request_deadline):
                channel.will_close = True
                self.closed_overdue += 1

    def handle_accept(self) -> None:
        for _ in range(ACCEPTS_PER_WAKE):
            if len(self._map) >= self.adj.connection_limit:
                return
            try:
                accepted = self.accept()
            except OSError:
                log.warning("accept() failed", exc_info=True)
                return
            if accepted is None:
                return
            conn, addr = accepted
            if self._refuses_at_accept(addr[0]):
                self.refused_at_accept += 1
                conn.close()
                continue
            try:
                self.set_socket_options(conn)
            except OSError:
                conn.close()  # the client was already gone
                continue
            self.channel_class(self, conn, addr, self.adj, map=self._map)

    def _refuses_at_accept(self, host: str) -> bool:
        """An address at its cap of connections, or a stranger whose budget is spent
        (closing the connection at once costs less than reading a request to refuse)."""
        if self.open_by_host[host] >= self.per_host_limit:
            return True
        return not self.is_phone(host) and not self.strangers.has_tokens(host)

    def set_socket_options(self, conn: socket.socket) -> None:
        super().set_socket_options(conn)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, self.user_timeout_ms)

    def saw_phone(self, host: str) -> None:
        """The app served a logged-in request from `host` (called from a worker thread)."""
        self.phones[host] = self.clock()

    def is_phone(self, host: str) -> bool:
        seen = self.phones.get(host)
        return seen is not None and self.clock() - seen < PHONE_MEMORY_SECONDS

    def add_task(self, task: Any) -> None:
        """Queue a channel whose next request is complete (waitress calls this with the
        channel's request lock held): a phone's goes first; a stranger over its budget is
        answered with a 429 by waitress itself, and its connection closed."""
        channel: PanelChannel = task
        phone = self.is_phone(channel.host)
        if not phone and not self.strangers.allow(channel.host):
            wait = max(1, math.ceil(self.strangers.wait_seconds(channel.host)))
            channel.requests[0].error = TooManyRequests(wait)
            self.refused_strangers += 1
        self.task_dispatcher.add_task(channel, first=phone)

    def forget(self, host: str) -> None:
        self.open_by_host[host] -= 1
        if self.open_by_host[host] <= 0:
            del self.open_by_host[host]
