"""The global budget of PIN guesses from unknown phones, kept across restarts.

A token bucket: `CAPACITY` guesses at most, refilled by one every `REFILL_SECONDS` of
uptime. Every address together draws from it, so a subnet full of addresses gains
nothing over one. A guess is taken (and made durable) BEFORE the PIN is checked, so a
crash or a restart in between cannot hand it back; a right PIN gives it back. The stamp
is uptime within a boot (see `uptime`): time while the device is off, or set on its
clock, earns nothing. DESIGN.md's threat model has the arithmetic: at most
CAPACITY + 2.5 a day, about 9,150 guesses in ten years of continuous guessing, which
finds a random 6-digit PIN with a probability under 1 %.

Phones that logged in before (`remembered_devices`) and the button's login window
(`login_window`) do not draw from this budget, so an empty budget holds strangers off
without locking the practitioner out.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from ..vault.atomic_file import replace_atomically
from ..vault.filesystem import FileSystem, OsFileSystem
from .uptime import Uptime

log = logging.getLogger(__name__)

BUDGET_FILE_NAME = "panel-guess-budget"
CAPACITY = 20
GUESSES_PER_DAY = 2.5
REFILL_SECONDS = 86400 / GUESSES_PER_DAY


class GuessBudget:
    """Take a guess before checking a PIN from an unknown phone; none left means wait."""

    def __init__(
        self,
        path: Path,
        uptime: Uptime,
        *,
        fs: FileSystem | None = None,
        capacity: int = CAPACITY,
        refill_seconds: float = REFILL_SECONDS,
    ) -> None:
        self.path = Path(path)
        self._uptime = uptime
        self._fs = fs or OsFileSystem()
        self._capacity = capacity
        self._refill = refill_seconds
        self._lock = threading.Lock()
        self._refusal_reported = False
        self._tokens, self._since = self._load()

    def _load(self) -> tuple[float, float]:
        """(tokens, uptime they were counted at). Unreadable means empty: fail closed.
        A stamp from another boot is replaced at once by one of this boot, so that this
        boot's uptime counts from now even if no guess is taken before the next restart."""
        try:
            record = json.loads(self.path.read_bytes())
            tokens = float(record["tokens"])
            stamp = record["stamp"]
        except FileNotFoundError:
            return float(self._capacity), self._uptime.now()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("guess budget %s unreadable (%s): starting it empty", self.path, exc)
            return 0.0, self._uptime.now()
        tokens = min(max(tokens, 0.0), float(self._capacity))
        elapsed = self._uptime.seconds_since(stamp)
        if elapsed is None:  # another boot: the time in between is unknown, credit none
            self._tokens = tokens
            self._save()
            return tokens, self._uptime.now()
        return tokens, self._uptime.now() - elapsed

    def _current(self) -> float:
        now = self._uptime.now()
        earned = max(0.0, now - self._since) / self._refill
        self._tokens = min(float(self._capacity), self._tokens + earned)
        self._since = now
        return self._tokens

    def _save(self) -> None:
        record = {"tokens": self._tokens, "stamp": self._uptime.stamp()}
        replace_atomically(self._fs, self.path, json.dumps(record).encode())

    def take(self) -> bool:
        """Use one guess, durably; False when none is left."""
        with self._lock:
            if self._current() < 1.0:
                return False
            self._tokens -= 1.0
            self._refusal_reported = False
            self._save()
            return True

    def give_back(self) -> None:
        """The PIN was right: that was no guess."""
        with self._lock:
            self._tokens = min(float(self._capacity), self._current() + 1.0)
            self._save()

    def left(self) -> float:
        with self._lock:
            return self._current()

    def seconds_until_next(self) -> float:
        with self._lock:
            return max(0.0, (1.0 - self._current()) * self._refill)

    def first_refusal(self) -> bool:
        """True once per empty spell, so a flood of refusals is audited once."""
        with self._lock:
            if self._refusal_reported:
                return False
            self._refusal_reported = True
            return True
