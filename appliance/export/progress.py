"""Export progress as the controller publishes it (DESIGN.md: the `export` event).

Copying a 1 GiB part is two thousand blocks; the panel needs a few updates a second, so
byte updates are thinned out while phase and file changes always go through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

CHECKING = "checking"
COPYING = "copying"
VERIFYING = "verifying"
DELETING = "deleting"
FINISHING = "finishing"
SAFE_TO_REMOVE = "safe-to-remove"


@dataclass(frozen=True)
class ExportProgress:
    phase: str
    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
    session: str | None

    def as_fields(self) -> dict[str, object]:
        return asdict(self)


ProgressCallback = Callable[[ExportProgress], None]


class ProgressTracker:
    """Counts bytes and files; `bytes_total` counts each byte twice: written, then read back."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        min_interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._min_interval = min_interval
        self._clock = clock
        self._last_sent = float("-inf")
        self._lock = threading.Lock()
        self.phase = CHECKING
        self.session: str | None = None
        self.bytes_done = self.bytes_total = self.files_done = self.files_total = 0

    def set_totals(self, bytes_total: int, files_total: int) -> None:
        self.bytes_total, self.files_total = bytes_total, files_total
        self._send(force=True)

    def enter(self, phase: str, session: str | None = None) -> None:
        self.phase, self.session = phase, session
        self._send(force=True)

    def add_bytes(self, count: int) -> None:
        """Called by the copying and the verifying thread alike."""
        with self._lock:
            self.bytes_done += count
        self._send(force=False)

    def file_done(self) -> None:
        with self._lock:
            self.files_done += 1
        self._send(force=True)

    def snapshot(self) -> ExportProgress:
        return ExportProgress(
            self.phase, self.bytes_done, self.bytes_total,
            self.files_done, self.files_total, self.session,
        )

    def _send(self, *, force: bool) -> None:
        if self._callback is None:
            return
        with self._lock:
            now = self._clock()
            if not force and now - self._last_sent < self._min_interval:
                return
            self._last_sent = now
            update = self.snapshot()
        self._callback(update)
