"""The live logins, kept on the device, so that logging out ends one for good.

The cookie is signed, but a signature cannot be taken back: a copied cookie worked after
its owner logged out. So a login is a random session id in the cookie, and the device
keeps the hash of every live one. Logging out (or setting a new PIN) removes it, and the
copied cookie is refused from then on.

Each login has an absolute lifetime (`ABSOLUTE_SECONDS`) counted from the login, and an
idle limit (`IDLE_SECONDS`) counted from the last request, both on the uptime clock
(`uptime`), never the wall clock that a phone may set. The ids and their login times are
written at login and logout only, so a service restart keeps the logins (and their age),
while a reboot ends them: uptime from another boot cannot be compared.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from ..vault.atomic_file import replace_atomically
from ..vault.filesystem import FileSystem, OsFileSystem
from .uptime import Uptime

log = logging.getLogger(__name__)

SESSIONS_FILE_NAME = "panel-sessions"
ABSOLUTE_SECONDS = 12 * 3600.0
IDLE_SECONDS = 4 * 3600.0
MAX_SESSIONS = 32


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class _Login:
    started: float
    last_seen: float


class LoginSessions:
    def __init__(
        self,
        path: Path,
        uptime: Uptime,
        *,
        fs: FileSystem | None = None,
        absolute_seconds: float = ABSOLUTE_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.path = Path(path)
        self._uptime = uptime
        self._fs = fs or OsFileSystem()
        self._absolute = absolute_seconds
        self._idle = idle_seconds
        self._lock = threading.Lock()
        self._logins = self._load()

    def _load(self) -> dict[str, _Login]:
        try:
            record = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("live logins %s unreadable (%s): everyone logs in again", self.path, exc)
            return {}
        if not isinstance(record, dict) or not self._uptime.same_boot(record.get("stamp")):
            return {}
        now = self._uptime.now()
        started = record.get("started", {})
        return {
            key: _Login(float(at), now)
            for key, at in (started.items() if isinstance(started, dict) else ())
            if isinstance(at, int | float) and at <= now
        }

    def _save(self) -> None:
        record = {
            "stamp": self._uptime.stamp(),
            "started": {key: login.started for key, login in self._logins.items()},
        }
        replace_atomically(self._fs, self.path, json.dumps(record).encode())

    def open(self) -> str:
        """A new login; its id goes into the (signed) cookie."""
        session_id = secrets.token_urlsafe(32)
        now = self._uptime.now()
        with self._lock:
            self._drop_expired(now)
            self._logins[_hash(session_id)] = _Login(now, now)
            while len(self._logins) > MAX_SESSIONS:
                oldest = min(self._logins, key=lambda key: self._logins[key].started)
                del self._logins[oldest]
            self._save()
        return session_id

    def is_live(self, session_id: object) -> bool:
        """Whether this login still holds; a live one counts as used just now."""
        if not isinstance(session_id, str):
            return False
        key, now = _hash(session_id), self._uptime.now()
        with self._lock:
            login = self._logins.get(key)
            if login is None:
                return False
            if self._expired(login, now):
                del self._logins[key]
                self._save()
                return False
            login.last_seen = now
            return True

    def close(self, session_id: object) -> None:
        if not isinstance(session_id, str):
            return
        with self._lock:
            if self._logins.pop(_hash(session_id), None) is not None:
                self._save()

    def close_all(self) -> None:
        with self._lock:
            self._logins.clear()
            self._save()

    def _expired(self, login: _Login, now: float) -> bool:
        return now - login.started >= self._absolute or now - login.last_seen >= self._idle

    def _drop_expired(self, now: float) -> None:
        for key in [k for k, login in self._logins.items() if self._expired(login, now)]:
            del self._logins[key]

    def count(self) -> int:
        with self._lock:
            return len(self._logins)
