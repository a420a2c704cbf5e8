"""Structured logs: one JSON object a line on stdout, where journald collects them.

Each line has `time` (UTC, ISO 8601, milliseconds), `level`, `logger` and `message`, plus
any `extra={...}` fields the call passed, and `exception` when there is a traceback.

The rule: NO PERSONAL DATA IN LOGS. The journal is plaintext on the SD card, outside the
encryption. Never log a case code, a mark's note or tag text typed by a person, a name,
a recipient's comment, a PIN, a phone's address, file contents or decrypted data. Session
ids, states, counts, sizes, durations, error codes and device names are fine. Pass values
as `extra` fields with plain names, never inside the message, so they can be checked: an
extra field under a name that carries personal data (`personal_data.PERSONAL_FIELDS`) is
replaced by "[withheld]", a last guard for a slip, not a licence.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

from .errors import ConfigError
from .personal_data import is_personal

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WITHHELD = "[withheld]"
#: Attributes every LogRecord has; anything else on a record came in through `extra`.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
}


class JsonLineFormatter(logging.Formatter):
    """Formats a record as one JSON line (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _RECORD_FIELDS or key in entry:
                continue
            entry[key] = WITHHELD if is_personal(key) else _plain(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _utc_iso(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def check_level(level: str) -> str:
    name = level.strip().upper()
    if name not in LEVELS:
        raise ConfigError(f"config: log_level must be one of {', '.join(LEVELS)}, not {level!r}")
    return name


def configure_logging(level: str, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record at `level` or above to `stream` (stdout) as JSON lines.

    Logging is process-wide by nature; this replaces any handler an earlier call installed,
    so calling it again (tests, a re-exec) does not double the lines.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler.formatter, JsonLineFormatter):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout if stream is None else stream)
    handler.setFormatter(JsonLineFormatter())
    root.addHandler(handler)
    root.setLevel(check_level(level))
    return handler
