"""The audit log: what happened to the recordings, append-only and hash-chained.

One JSON object per line. Each entry carries `prev`, the sha256 of the previous line as
written (the first carries 64 zeros), so changing, removing or inserting a line breaks the
chain at that point and `verify()` names the first entry that can no longer be trusted.
The chain has no secret key: it shows accidental or careless edits, not a forger who
rewrites every later line, and it cannot see the last line being changed or lines being cut
off the end. The log is copied to every export stick, where it is compared over time.

It must hold no personal data (it is plaintext on the SD card and the stick): session ids,
states, counts and reasons only. Fields that could carry a case code, a note, a name or a
phone's address (`personal_data.PERSONAL_FIELDS`) are refused outright, so a caller cannot
leak one by accident.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..personal_data import is_personal
from .errors import PersonalDataInAudit, storage_errors

try:
    import fcntl
except ImportError:  # Windows: only vig-unpack runs there, and it never appends to a log.
    _CAN_LOCK = False
else:
    _CAN_LOCK = True
from .filesystem import FileSystem

GENESIS = "0" * 64
RESERVED_FIELDS = frozenset({"seq", "time", "event", "prev"})
TAIL_BLOCK = 4096


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass(frozen=True)
class AuditHead:
    """Where the chain stood: its number of entries and the hash of the last one."""

    entries: int
    sha256: str


def chained_line_hashes(data: bytes) -> list[str]:
    """The hash of each line of a log copy, for as long as the chain holds from the start.

    A copy whose entry N hashes to the head a device signed is, up to N, the log the device
    had then: each entry carries the hash of the one before it.
    """
    hashes: list[str] = []
    expected_prev = GENESIS
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):
        if _check_entry(line, number, expected_prev) is not None:
            break
        expected_prev = line_hash(line)
        hashes.append(expected_prev)
    return hashes


@dataclass(frozen=True)
class AuditVerification:
    entries: int
    #: 1-based number of the first entry that the chain no longer vouches for.
    first_broken: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


class AuditLog:
    def __init__(self, path: Path, fs: FileSystem, wall_clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self._fs = fs
        self._wall_clock = wall_clock

    def append(self, event: str, **fields: str | int | float | bool | None) -> None:
        """Add one entry and make it durable before returning."""
        check_fields(fields)
        self._locked_append(event, fields)

    def discard_torn_entry(self) -> bool:
        """At start-up: drop an entry a power cut left half-written (audited). True if any."""
        if not self.path.exists() or not _read_tail(self.path)[1]:
            return False
        self._locked_append(None, {})
        return True

    def _locked_append(self, event: str | None, fields: dict) -> None:
        with storage_errors(self.path.name):
            self._append_durably(event, fields)

    def _append_durably(self, event: str | None, fields: dict) -> None:
        created = not self.path.exists()
        with self._fs.open_append(self.path) as file:
            if _CAN_LOCK:  # the CLI may append while the service runs
                fcntl.flock(file.fileno(), fcntl.LOCK_EX)
            last_line, torn_bytes = _read_tail(self.path)
            if torn_bytes:
                # An entry torn by a power cut was never complete; drop its bytes, say so.
                file.truncate(self.path.stat().st_size - torn_bytes)
                last_line = self._write(file, "audit_torn_entry_discarded", last_line,
                                        {"bytes": torn_bytes})
            if event is not None:
                self._write(file, event, last_line, fields)
            self._fs.fsync(file)
        if created:
            self._fs.fsync_dir(self.path.parent)

    def _write(self, file, event: str, last_line: bytes | None, fields: dict) -> bytes:
        seq = _seq_after(last_line, self.path)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._wall_clock()))
        entry = {"seq": seq, "time": stamp, "event": event, **fields}
        entry["prev"] = line_hash(last_line) if last_line is not None else GENESIS
        line = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
        file.write(line + b"\n")
        return line

    def head(self) -> AuditHead:
        """The chain's head now (GENESIS and 0 entries for a log not yet written)."""
        if not self.path.exists():
            return AuditHead(0, GENESIS)
        last_line, _ = _read_tail(self.path)
        if last_line is None:
            return AuditHead(0, GENESIS)
        return AuditHead(_seq_after(last_line, self.path) - 1, line_hash(last_line))

    def mentions(self, event: str, session: str) -> bool:
        """True if an entry `event` about `session` is in the log (read once, line by line)."""
        if not self.path.exists():
            return False
        needle = json.dumps(session).encode()
        with open(self.path, "rb") as reader:
            for line in reader:
                if needle not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and (entry.get("event"), entry.get("session")) == (
                    event, session
                ):
                    return True
        return False

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_bytes().splitlines()]

    def verify(self) -> AuditVerification:
        """Check every link of the chain; name the first entry it no longer vouches for."""
        if not self.path.exists():
            return AuditVerification(entries=0)
        lines = self.path.read_bytes().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        else:
            return AuditVerification(len(lines), len(lines), "the last entry is incomplete")
        expected_prev = GENESIS
        for number, line in enumerate(lines, start=1):
            problem = _check_entry(line, number, expected_prev)
            if problem is not None:
                broken, text = problem
                return AuditVerification(len(lines), broken, text)
            expected_prev = line_hash(line)
        return AuditVerification(entries=len(lines))


def check_fields(fields: dict) -> None:
    """Refuse (PersonalDataInAudit) an entry's fields unless each is a plain, harmless value."""
    for key, value in fields.items():
        if key in RESERVED_FIELDS:
            raise PersonalDataInAudit(f"audit field {key!r} is reserved")
        if is_personal(key):
            raise PersonalDataInAudit(
                f"audit field {key!r} could carry personal data and is not allowed"
            )
        if not isinstance(value, str | int | float | bool | type(None)):
            raise PersonalDataInAudit(f"audit field {key!r} must be a plain value")


def _check_entry(line: bytes, number: int, expected_prev: str) -> tuple[int, str] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return number, f"entry {number} is not valid JSON"
    if not isinstance(entry, dict):
        return number, f"entry {number} is not a JSON object"
    if entry.get("seq") != number:
        return number, f"entry {number} carries sequence number {entry.get('seq')!r}"
    if entry.get("prev") != expected_prev:
        if number == 1:
            return 1, "entry 1 does not start the chain"
        return number - 1, (
            f"entry {number - 1} does not match the hash recorded in entry {number}: "
            f"it was changed, or entries around it were removed or inserted"
        )
    return None


def _read_tail(path: Path) -> tuple[bytes | None, int]:
    """The last complete line, and the size of a torn (newline-less) tail after it."""
    size = path.stat().st_size
    with open(path, "rb") as reader:
        block = TAIL_BLOCK
        while True:
            start = max(0, size - block)
            reader.seek(start)
            data = reader.read(size - start)
            torn = len(data) - (data.rfind(b"\n") + 1)
            body = data[: len(data) - torn]
            previous_newline = body.rfind(b"\n", 0, len(body) - 1)
            if previous_newline >= 0 or start == 0:
                last = body[previous_newline + 1 :]
                return (last if last else None), torn
            block *= 2


def _seq_after(last_line: bytes | None, path: Path) -> int:
    if last_line is None:
        return 1
    try:
        return int(json.loads(last_line)["seq"]) + 1
    except (ValueError, KeyError, TypeError):
        return path.read_bytes().count(b"\n") + 1
