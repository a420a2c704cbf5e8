"""Serve the panel with waitress in a background thread that stops on `stop_event`.

waitress is pure Python and threaded. Previews and status streams each hold a thread
while open and are capped (config.panel), so with `threads` above those caps a Mark
never waits for a free thread. The serving thread runs waitress's socket loop one
round at a time so it can notice `stop_event` and shut down cleanly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

LOOP_TIMEOUT_SECONDS = 0.5


@dataclass
class PanelServer:
    host: str
    port: int
    thread: threading.Thread

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


def serve_panel(
    app: Any, host: str, port: int, stop_event: threading.Event, *, threads: int = 12
) -> PanelServer:
    """Start serving `app` on host:port (0 = any free port); returns the bound address."""
    from waitress import wasyncore
    from waitress.server import create_server

    socket_map: dict[int, Any] = {}
    server = create_server(
        app,
        map=socket_map,
        host=host,
        port=port,
        threads=threads,
        ident="vig-panel",
        channel_timeout=30,
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
    return PanelServer(host=server.effective_host, port=int(server.effective_port), thread=thread)
