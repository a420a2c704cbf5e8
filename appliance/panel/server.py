"""Serve the panel with waitress in a background thread that stops on `stop_event`.

waitress is pure Python and threaded. Previews and status streams each hold a thread
while open and are capped (config.panel), so with `threads` above those caps a Mark
never waits for a free thread. The serving thread runs waitress's socket loop one
round at a time so it can notice `stop_event` and shut down cleanly.

Nothing a client sends or fails to read may reach the SD card: waitress by default
accepts 1 GiB bodies and spools bodies over 512 KiB, and responses a slow reader leaves
pending over 1 MiB, to temporary files. The limits below keep both in memory and small.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from waitress.wasyncore import _SocketMap

LOOP_TIMEOUT_SECONDS = 0.5

#: The largest request body waitress accepts; a larger one is refused with 413 before
#: its body is read. The panel's largest legitimate request is a Mark with the longest
#: tag and a 200-character note: 651 bytes of JSON when every character takes three
#: UTF-8 bytes (the login form is under 100 bytes), and the API itself refuses JSON
#: bodies over 4 KiB (inputs.MAX_BODY_BYTES). 16 KiB leaves a wide margin above both.
MAX_REQUEST_BODY_BYTES = 16 * 1024
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


@dataclass
class PanelServer:
    host: str
    port: int
    thread: threading.Thread

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


def serve_panel(
    app: WSGIApplication, host: str, port: int, stop_event: threading.Event, *, threads: int = 12
) -> PanelServer:
    """Start serving `app` on host:port (0 = any free port); returns the bound address."""
    from waitress import wasyncore
    from waitress.server import MultiSocketServer, create_server

    socket_map: _SocketMap = {}
    server = create_server(
        app,
        map=socket_map,
        host=host,
        port=port,
        threads=threads,
        ident="vig-panel",
        channel_timeout=30,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        inbuf_overflow=INBUF_OVERFLOW_BYTES,
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK_BYTES,
        outbuf_overflow=OUTBUF_OVERFLOW_BYTES,
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
    bound: tuple[str, int | str]  # getsockname gives the port as text
    if isinstance(server, MultiSocketServer):  # a name that resolves to several addresses
        bound = server.effective_listen[0]
    else:
        bound = server.getsockname()
    return PanelServer(host=bound[0], port=int(bound[1]), thread=thread)
