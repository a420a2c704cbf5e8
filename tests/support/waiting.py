"""Waiting for something another thread does, with a deadline instead of a guessed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], object], timeout: float = 2.0, interval: float = 0.01
) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds have passed; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
