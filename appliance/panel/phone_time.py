"""When the panel may set the device's clock from a phone's.

Any logged-in phone could set any time from 2024 to 2100, even over a clock already
right: a jump forward logged every phone out, sessions "from 2099" sorted first for
ever, and the endpoint could write ~146 MB of audit an hour. So:

- while the device's time is not believed (not synchronised, never set from a phone or
  the RTC since boot), a phone's time is taken as it comes;
- once it is, a phone's within `CONFIRM_BEYOND_SECONDS` changes nothing, and one further
  off is taken only when the person confirms it (the page asks, saying by how much);
- however asked, the clock is set at most once every `MIN_INTERVAL_SECONDS`, which also
  bounds what a client can make the audit log write.

The interval runs on the monotonic clock, which setting the wall clock cannot move.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .errors import TimeNeedsConfirmation, TimeSetTooOften

CONFIRM_BEYOND_SECONDS = 300.0
MIN_INTERVAL_SECONDS = 60.0


class PhoneTimeGate:
    def __init__(
        self, monotonic: Callable[[], float], wall: Callable[[], float] = time.time
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._last_set: float | None = None

    def admit(self, phone_epoch: float, *, believed: bool, confirmed: bool) -> bool:
        """True when the phone's time is to be applied now, False when the device's is
        already close enough; raises when it needs a confirmation or came too soon."""
        difference = abs(phone_epoch - self._wall())
        if believed and difference <= CONFIRM_BEYOND_SECONDS:
            return False
        if believed and not confirmed:
            minutes = max(1, round(difference / 60))
            raise TimeNeedsConfirmation(
                f"The device's clock is already set, and this phone's differs from it by "
                f"about {minutes} minutes. Use the phone's time only if you are sure the "
                "device's is wrong."
            )
        with self._lock:
            now = self._monotonic()
            if self._last_set is not None and now - self._last_set < MIN_INTERVAL_SECONDS:
                wait = round(MIN_INTERVAL_SECONDS - (now - self._last_set))
                raise TimeSetTooOften(
                    f"The clock was set from a phone a moment ago. Try again in {wait} s."
                )
            self._last_set = now
        return True
