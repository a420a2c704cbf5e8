"""The marks of the session being recorded, as the device still holds them in memory.

A mark file is encrypted to the practitioner's key the moment it is made, so the device
can never read one back. While the session records, the device keeps each mark's record
in memory, and a re-tag or a note writes the whole mark file again from it (padded and
encrypted like the first, and replaced atomically). After Stop or a restart that memory is
gone: later tags and notes go into the viewer's review plan.

Numbers are never reused: a removed mark leaves a gap, so a tag sent for mark 3 can never
land on a later mark that took its number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..tags import MARK_TAGS
from .errors import UnknownMark

if TYPE_CHECKING:
    from ..vault import SessionWriter

#: What the panel's list of marks shows of each, in the status and in the mark events.
LISTED_FIELDS = ("number", "media_time", "tag", "tag_label", "note")


def listed(record: dict[str, Any]) -> dict[str, Any]:
    return {field: record.get(field) for field in LISTED_FIELDS}


class SessionMarks:
    """The records of one session's marks, written through to its mark files."""

    def __init__(self, session: SessionWriter) -> None:
        self._session = session
        self._records: dict[int, dict[str, Any]] = {}
        self._last_number = 0

    def __len__(self) -> int:
        return len(self._records)

    def next_number(self) -> int:
        return self._last_number + 1

    def add(self, record: dict[str, Any]) -> None:
        """Write a new mark's file (durable on return), then keep its record."""
        number = record["number"]
        self._session.write_mark(number, record)
        self._records[number] = record
        self._last_number = max(self._last_number, number)

    def retag(self, number: int, tag: str | None) -> dict[str, Any]:
        return self._rewrite(number, tag=tag, tag_label=MARK_TAGS.get(tag) if tag else None)

    def renote(self, number: int, note: str | None) -> dict[str, Any]:
        return self._rewrite(number, note=note)

    def remove(self, number: int) -> dict[str, Any]:
        """Delete the mark's file (audited by number); its clip is the recorder's to drop."""
        record = self._known(number)
        self._session.remove_mark(number)
        del self._records[number]
        return record

    def listed(self) -> list[dict[str, Any]]:
        return [listed(self._records[number]) for number in sorted(self._records)]

    def _rewrite(self, number: int, **changes: Any) -> dict[str, Any]:
        """The mark's file written again with `changes`; the record in memory changes only
        once the new file is durable, so a failed write leaves both as they were."""
        record = {**self._known(number), **changes}
        self._session.write_mark(number, record)
        self._records[number] = record
        return record

    def _known(self, number: int) -> dict[str, Any]:
        record = self._records.get(number)
        if record is None:
            raise UnknownMark(f"This session has no mark {number}: it may have been removed.")
        return record
