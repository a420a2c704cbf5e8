"""The shared timeline, real or virtual, and the one way simulated sources keep pace on it.

A simulated source must behave the same whether time is real (the appliance running with
`--simulate`) or virtual (a test simulating an hour in seconds). Both clocks therefore offer
`pace(due, callback)`: call `callback(index, due(index))` for index = first, first+1, …
each at its due time. On `MonotonicClock` that is a thread looping on
`stop_event.wait(delay)`; on `VirtualClock` each call schedules the next one. Sources pass
a due-time function rather than a period so that tick n lands exactly on
`start + n / rate`, never on an accumulated sum that drifts.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import ClockError

if TYPE_CHECKING:
    from .types import Ticker

DueTime = Callable[[int], float]
TickCallback = Callable[[int, float], None]

_logger = logging.getLogger(__name__)


class MonotonicClock:
    """CLOCK_MONOTONIC, the timeline the Pi's camera timestamps are already on."""

    def now(self) -> float:
        return time.monotonic()

    def pace(
        self,
        due: DueTime,
        callback: TickCallback,
        *,
        first: int = 0,
        skip_late: bool = False,
        name: str = "pacer",
    ) -> ThreadTicker:
        """Run `callback` on its own thread at each due time; see `ThreadTicker`."""
        return ThreadTicker(self, due, callback, first=first, skip_late=skip_late, name=name)


class ThreadTicker:
    """Calls `callback(index, due(index))` at each due time on a background thread.

    With `skip_late`, a tick whose successor is already due is skipped (and counted in
    `skipped`), as a camera drops frames its pipeline cannot take; without it every tick
    runs, late ones back to back, as a sound card never loses samples it has captured.
    If the callback raises, the thread stops, logs the traceback and keeps the exception in
    `error` for its owner to report.
    """

    def __init__(
        self,
        clock: MonotonicClock,
        due: DueTime,
        callback: TickCallback,
        *,
        first: int,
        skip_late: bool,
        name: str,
    ) -> None:
        self._clock = clock
        self._due = due
        self._callback = callback
        self._index = first
        self._skip_late = skip_late
        self._stop_event = threading.Event()
        self.skipped = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                due = self._due(self._index)
                if self._stop_event.wait(max(0.0, due - self._clock.now())):
                    return
                self._callback(self._index, due)
                self._index += 1
                if self._skip_late:
                    self._skip_missed()
        except Exception as exc:
            # Not hidden: kept for the owner to read and logged with its traceback.
            self.error = exc
            _logger.exception("%s stopped: its callback raised", self._thread.name)

    def _skip_missed(self) -> None:
        now = self._clock.now()
        while self._due(self._index + 1) <= now:
            self._index += 1
            self.skipped += 1

    def cancel(self) -> None:
        """Stop ticking; waits for a running callback to finish (unless called from it)."""
        self._stop_event.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


class VirtualClock:
    """A deterministic discrete-event scheduler standing in for real time.

    Time moves only in `run_until`/`advance`, which run every due callback in time order
    (ties in the order they were scheduled) on the caller's thread, with `now()` equal to
    the callback's scheduled time. An hour of recording simulates as fast as the CPU allows,
    and the same calls give the same results every run.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._running = False

    def now(self) -> float:
        return self._now

    def schedule(self, at: float, callback: Callable[[], None]) -> None:
        """Run `callback()` when virtual time reaches `at` (at once if `at` is past)."""
        with self._lock:
            heapq.heappush(self._queue, (max(float(at), self._now), next(self._order), callback))

    def run_until(self, until: float) -> None:
        """Advance to `until`, running due callbacks, including ones they schedule."""
        if until < self._now:
            raise ClockError(f"virtual time cannot go back from {self._now:.6f} s to {until:.6f} s")
        if self._running:
            raise ClockError("run_until was called from inside a scheduled callback")
        self._running = True
        try:
            while True:
                with self._lock:
                    if not self._queue or self._queue[0][0] > until:
                        break
                    at, _, callback = heapq.heappop(self._queue)
                self._now = at
                callback()
            self._now = float(until)
        finally:
            self._running = False

    def advance(self, seconds: float) -> None:
        self.run_until(self._now + seconds)

    @property
    def pending(self) -> int:
        """How many callbacks are waiting (cancelled tickers' last event included)."""
        return len(self._queue)

    def pace(
        self,
        due: DueTime,
        callback: TickCallback,
        *,
        first: int = 0,
        skip_late: bool = False,
        name: str = "pacer",
    ) -> VirtualTicker:
        """Schedule `callback(index, due(index))` for every index from `first`."""
        return VirtualTicker(self, due, callback, first)


class VirtualTicker:
    """A `pace` on a virtual clock: each tick schedules the next; nothing is ever late."""

    def __init__(self, clock: VirtualClock, due: DueTime, callback: TickCallback, first: int):
        self._clock = clock
        self._due = due
        self._callback = callback
        self._cancelled = False
        self.skipped = 0
        self.error: BaseException | None = None
        self._schedule(first)

    def _schedule(self, index: int) -> None:
        due = self._due(index)
        self._clock.schedule(due, lambda: self._tick(index, due))

    def _tick(self, index: int, due: float) -> None:
        if self._cancelled:
            return
        try:
            self._callback(index, due)
        except BaseException as exc:
            # Raised on to run_until's caller; the ticker stops as a thread would.
            self.error = exc
            self._cancelled = True
            raise
        if not self._cancelled:
            self._schedule(index + 1)

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def running(self) -> bool:
        return not self._cancelled


class PacedSource:
    """What every source paced by a clock reports about its capture ticker.

    Subclasses keep their ticker (from `clock.pace`) in `_ticker`, None while stopped.
    """

    _ticker: Ticker | None = None

    @property
    def running(self) -> bool:
        """False once stopped, at the end of a non-looping replay, or after a failing sink."""
        return self._ticker is not None and self._ticker.running

    @property
    def error(self) -> BaseException | None:
        """What stopped the capture, if the sink raised."""
        return None if self._ticker is None else self._ticker.error
