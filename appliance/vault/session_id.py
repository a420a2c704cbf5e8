"""Session ids: `YYYYMMDD-HHMMSS-xxxx`, the UTC start and 4 random base32 characters.

They name directories on the SD card and on a FAT32/exFAT stick, so they use lower-case
letters and digits only: FAT compares names case-insensitively, and a single case means two
ids can never collide there by differing in case alone. They sort by start time and carry
no personal data. The random part tells apart sessions started in the same second (a clock
that was never set starts every boot at the same time).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable

#: RFC 4648 base32 alphabet, lower-cased: no 0/1/8/9, which are easily misread as o/l/b/g.
BASE32_LOWER = "abcdefghijklmnopqrstuvwxyz234567"
RANDOM_CHARS = 4
SESSION_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[a-z2-7]{4}$")


def new_session_id(
    started_at: float, choose: Callable[[str], str] = secrets.choice
) -> str:
    """The id of a session that started at `started_at` (seconds since the epoch)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(started_at))
    suffix = "".join(choose(BASE32_LOWER) for _ in range(RANDOM_CHARS))
    return f"{stamp}-{suffix}"


def is_session_id(text: str) -> bool:
    """True for a well-formed id; anything else (e.g. `../x`) must never become a path."""
    return bool(SESSION_ID_PATTERN.match(text))
