"""The one stream of controller events that feeds the LEDs, the panel and the audit log.

Publishing never blocks the controller: each subscriber has a bounded queue, and a
subscriber too slow to keep up loses its oldest events (a status stream only needs the
latest picture), never the controller's time.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

EVENT_TYPES = frozenset(
    {"state", "tick", "sound", "mark", "mark_edited", "mark_removed", "session", "export",
     "error"}
)


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    time: float
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "time": self.time, **self.fields}


class Subscription:
    """A bounded queue of events for one listener; close it when done."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=maxsize)

    def offer(self, event: Event) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    continue

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when none arrives within `timeout` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._bus._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []

    def subscribe(self, maxsize: int = 256) -> Subscription:
        sub = Subscription(self, maxsize)
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def publish(self, event: Event) -> None:
        if event.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event.type!r}")
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.offer(event)
