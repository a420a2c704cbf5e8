"""Failed-login rate limit per client address: N failures a minute, then growing lockouts.

After `per_minute` failures inside one minute the address is locked out for a minute,
and each further lockout doubles (up to an hour). A successful login clears the record.
The clock is injected so tests need not wait.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
FIRST_LOCKOUT_SECONDS = 60.0
MAX_LOCKOUT_SECONDS = 3600.0


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    lockouts: int = 0
    locked_until: float = 0.0
    refusal_reported: bool = False


class LoginLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def locked_for(self, client: str) -> float:
        """Seconds the client must still wait (0 when it may try)."""
        with self._lock:
            record = self._records.get(client)
            if record is None:
                return 0.0
            return max(0.0, record.locked_until - self._clock())

    def first_refusal(self, client: str) -> bool:
        """True once per lockout, so a flood of refused tries is audited once, not each."""
        with self._lock:
            record = self._records.get(client)
            if record is None or record.refusal_reported:
                return False
            record.refusal_reported = True
            return True

    def failed(self, client: str) -> float:
        """Count a failure; return the lockout it started (0 if none)."""
        now = self._clock()
        with self._lock:
            record = self._records.setdefault(client, _Record())
            record.failures.append(now)
            while record.failures and record.failures[0] <= now - WINDOW_SECONDS:
                record.failures.popleft()
            if len(record.failures) < self._per_minute:
                return 0.0
            lockout = min(FIRST_LOCKOUT_SECONDS * 2**record.lockouts, MAX_LOCKOUT_SECONDS)
            record.lockouts += 1
            record.locked_until = now + lockout
            record.refusal_reported = False
            record.failures.clear()
            return lockout

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)
