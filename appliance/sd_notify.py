"""systemd's notify protocol (READY=1, WATCHDOG=1), spoken over $NOTIFY_SOCKET.

A few lines of socket code rather than a dependency: the protocol is one datagram of
newline-separated assignments. Outside systemd (no $NOTIFY_SOCKET) every call is a no-op.
"""

from __future__ import annotations

import os
import socket


class SystemdNotifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]
        self._address = address or None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, **assignments: str) -> None:
        if self._address is None:
            return
        payload = "\n".join(f"{key.upper()}={value}" for key, value in assignments.items())
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(self._address)
            sock.sendall(payload.encode())

    def ready(self) -> None:
        self.notify(ready="1", status="recording appliance ready")

    def watchdog(self) -> None:
        self.notify(watchdog="1")

    def stopping(self) -> None:
        self.notify(stopping="1")
