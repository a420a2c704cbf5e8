"""The main loop's heartbeat: once a second the controller checks itself, and only a
healthy pass pets the systemd watchdog.

A blind timer thread that pets the watchdog would keep a hung pipeline alive forever;
here the pet comes after `controller.poll()` has returned and the controller says the
recording pipeline is healthy, so a stuck lock or a dead source lets systemd restart us.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from .errors import ApplianceError
from .sd_notify import SystemdNotifier

_logger = logging.getLogger(__name__)


class Supervised(Protocol):
    """What the heartbeat asks of the controller (tests script it with a stand-in)."""

    def poll(self) -> None: ...
    def healthy(self) -> bool: ...


class Supervisor:
    def __init__(
        self, controller: Supervised, notifier: SystemdNotifier, interval: float = 1.0
    ) -> None:
        self._controller = controller
        self._notifier = notifier
        self._interval = interval
        self.passes = 0

    def run(self, stop_event: threading.Event) -> None:
        while not stop_event.wait(self._interval):
            try:
                self._controller.poll()
            except ApplianceError as exc:
                _logger.error("supervisor: %s", exc.user_message())
                continue
            self.passes += 1
            if self._controller.healthy():
                self._notifier.watchdog()
