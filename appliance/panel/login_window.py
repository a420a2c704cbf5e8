"""The recovery login window that the device's button opens, for a phone that is new.

When the global guess budget is empty, a new phone (the practitioner's replacement, say)
could not log in. Holding the button while idle (see controls/button.py) opens this
window: for `SECONDS` a login from any phone is checked without drawing on the budget,
up to `ATTEMPTS` tries. Opening it needs a hand on the device, so a stranger on the
Wi-Fi gains at most `ATTEMPTS` guesses each time the practitioner opens it; the first
right PIN closes it. It lives in memory only: a restart closes it.
"""

from __future__ import annotations

import threading

from .uptime import Uptime

SECONDS = 120.0
ATTEMPTS = 5


class LoginWindow:
    def __init__(self, uptime: Uptime, *, seconds: float = SECONDS, attempts: int = ATTEMPTS):
        self._uptime = uptime
        self._seconds = seconds
        self._attempts = attempts
        self._lock = threading.Lock()
        self._closes_at = 0.0
        self._left = 0

    def open(self) -> None:
        with self._lock:
            self._closes_at = self._uptime.now() + self._seconds
            self._left = self._attempts

    def seconds_left(self) -> float:
        with self._lock:
            if self._left <= 0:
                return 0.0
            return max(0.0, self._closes_at - self._uptime.now())

    def take_attempt(self) -> bool:
        """Use one of the window's tries; False if it is closed or used up."""
        with self._lock:
            if self._left <= 0 or self._uptime.now() >= self._closes_at:
                return False
            self._left -= 1
            return True

    def close(self) -> None:
        with self._lock:
            self._left = 0
            self._closes_at = 0.0
