"""Progress for a person at a terminal (one redrawn bar) or a log (plain lines)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    """Counts bytes against a total; draws a bar on a TTY, else prints one line per step."""

    def __init__(self, total: int, stream: TextIO | None = None, *, min_interval: float = 0.1):
        self.total = max(1, total)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._label = ""
        self._min_interval = min_interval
        self._last_draw = 0.0

    def step(self, label: str) -> None:
        """A new piece of work begins (a file to check, decrypt or write)."""
        self._label = label
        if self.tty:
            self._draw(force=True)
        else:
            print(f"vig-unpack: {label}", file=self.stream, flush=True)

    def add(self, count: int) -> None:
        self.done = min(self.total, self.done + count)
        if self.tty:
            self._draw(force=False)

    def say(self, line: str) -> None:
        """A message that must stay on screen (a warning, a result)."""
        if self.tty:
            self.stream.write("\r\033[K")
        print(line, file=self.stream, flush=True)
        if self.tty:
            self._draw(force=True)

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self._min_interval:
            return
        self._last_draw = now
        filled = BAR_WIDTH * self.done // self.total
        percent = 100 * self.done // self.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r\033[K[{bar}] {percent:3d}% {self._label}"[:120])
        self.stream.flush()
