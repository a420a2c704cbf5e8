"""Serve the panel with waitress in a background thread that stops on `stop_event`.

waitress is pure Python and threaded. Previews and status streams each hold a thread
while open and are capped (config.panel), so with `threads` above those caps a Mark
never waits for a free thread. The serving thread runs waitress's socket loop one
round at a time so it can notice `stop_event` and shut down cleanly.

Nothing a client sends or fails to read may reach the SD card: waitress by default
accepts 1 GiB bodies and spools bodies over 512 KiB, and responses a slow reader leaves
pending over 1 MiB, to temporary files. The limits below keep both in memory and small.

Nor may a stranger hold the panel: the connections one address may hold are capped, and
the global limit is above all of the AP's addresses at that cap together, so the
practitioner's phone always gets in (`server_guards`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from waitress.wasyncore import _SocketMap

    from .server_guards import PanelTcpServer

LOOP_TIMEOUT_SECONDS = 0.5

#: The largest request body waitress accepts; a larger one is refused with 413 before
#: its body is read. The panel's largest legitimate request is a Mark with the longest
#: tag and a 200-character note: 651 bytes of JSON when every character takes three
#: UTF-8 bytes (the login form is under 100 bytes), and the API itself refuses JSON
#: bodies over 4 KiB (inputs.MAX_BODY_BYTES). 16 KiB leaves a wide margin above both.
MAX_REQUEST_BODY_BYTES = 16 * 1024
#: The largest request head (request line and headers). The panel's are under 1 KiB (the
#: cookie is the largest part); waitress's default, 256 KiB, would let 2,040 held
#: connections pin half a gigabyte of a Pi's memory.
MAX_REQUEST_HEADER_BYTES = 8 * 1024
#: Request bodies up to this size stay in memory; above the body cap, none is ever
#: moved to a temporary file.
INBUF_OVERFLOW_BYTES = 2 * MAX_REQUEST_BODY_BYTES
#: A worker thread writing a response waits once this much is pending for a client
#: (a phone that stopped reading the preview): the preview then skips frames, as it
#: takes only the latest one after each write, instead of queueing them.
OUTBUF_HIGH_WATERMARK_BYTES = 256 * 1024
#: Pending output is moved to a temporary file only above this; with the watermark
#: well below it (the most pending is the watermark plus one write, e.g. one preview
#: frame), that does not happen.
OUTBUF_OVERFLOW_BYTES = 1024 * 1024

#: The connections one client address may hold at once. A phone's browser opens up to 6
#: to one host (the status stream and the preview each keep one), so 8 leaves it room.
CONNECTIONS_PER_ADDRESS = 8
#: The addresses the panel can be reached from: the AP's /24 (systemd's IPAddressAllow
#: admits only 10.42.0.0/24 and localhost), less the network, broadcast and the device.
AP_CLIENT_ADDRESSES = 253
#: Above every address at its cap together, so one more address always gets in; the
#: service's LimitNOFILE (systemd/vig-appliance.service) leaves room above this.
CONNECTION_LIMIT = AP_CLIENT_ADDRESSES * CONNECTIONS_PER_ADDRESS + 16
#: A request's headers and body must all arrive within this, from its first byte. The
#: largest is 16 KiB, which a phone on the AP sends in well under a second.
REQUEST_DEADLINE_SECONDS = 10.0
#: A connection whose sent data goes unacknowledged this long is dropped by the kernel
#: (TCP_USER_TIMEOUT), and the stream it held ends and frees its slot.
TCP_USER_TIMEOUT_MS = 20_000
#: An idle connection (no request under way) is closed after this.
IDLE_TIMEOUT_SECONDS = 30


@dataclass
class PanelServer:
    host: str
    port: int
    thread: threading.Thread
    #: The waitress server (a PanelTcpServer), for its counters.
    waitress: PanelTcpServer | None = None

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


def serve_panel(
    app: WSGIApplication,
    host: str,
    port: int,
    stop_event: threading.Event,
    *,
    threads: int = 12,
    clock: Callable[[], float] = time.monotonic,
) -> PanelServer:
    """Start serving `app` on host:port (0 = any free port); returns the bound address.

    `clock` is the device's monotonic clock (the controller's): requests are stamped
    with it as they arrive, and every timeout runs on it. `host` is one address.
    """
    from waitress import wasyncore
    from waitress.adjustments import Adjustments

    from .server_guards import PanelTcpServer, PhoneFirstDispatcher
    from .stranger_limiter import StrangerLimiter

    socket_map: _SocketMap = {}
    adjustments = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="vig-panel",
        channel_timeout=IDLE_TIMEOUT_SECONDS,
        cleanup_interval=1,
        connection_limit=CONNECTION_LIMIT,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        max_request_header_size=MAX_REQUEST_HEADER_BYTES,
        # Keep reading a connection while its request runs, so that a phone closing
        # it is seen at once (a stream then ends and frees its slot).
        channel_request_lookahead=1,
        inbuf_overflow=INBUF_OVERFLOW_BYTES,
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK_BYTES,
        outbuf_overflow=OUTBUF_OVERFLOW_BYTES,
    )
    dispatcher = PhoneFirstDispatcher()
    dispatcher.set_thread_count(threads)
    server = PanelTcpServer(
        app,
        map=socket_map,
        dispatcher=dispatcher,
        adj=adjustments,
        sockinfo=adjustments.listen[0],
        clock=clock,
        per_host_limit=CONNECTIONS_PER_ADDRESS,
        request_deadline=REQUEST_DEADLINE_SECONDS,
        user_timeout_ms=TCP_USER_TIMEOUT_MS,
        strangers=StrangerLimiter(clock),
    )

    def run() -> None:
        try:
            while not stop_event.is_set():
                wasyncore.loop(timeout=LOOP_TIMEOUT_SECONDS, use_poll=True, map=socket_map, count=1)
        finally:
            # Close every connection first, so a thread still streaming to one finds it
            # closed on its next write and ends, then wait for the worker threads.
            wasyncore.close_all(socket_map, ignore_all=True)
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    thread = threading.Thread(target=run, name="panel-server", daemon=True)
    thread.start()
    bound: tuple[str, int | str] = server.getsockname()  # the port comes as text
    return PanelServer(host=bound[0], port=int(bound[1]), thread=thread, waitress=server)
