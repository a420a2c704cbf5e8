"""A small stand-in for `appliance.controller.Controller`: a `ControllerApi` to the letter.

Used wherever a test needs to see exactly which commands a front end sent (and with which
press time). It keeps the same state machine (idle -> recording -> idle, where the real
one passes through stopping on its worker thread), validates input with the controller's
own rules, publishes the same event types on an EventBus, and raises the same errors.
tests/controls/test_controller_api.py holds it to the real controller: the same
signatures (compared, and checked by mypy), the same refusals, the same keys.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from appliance.controller import (
    AlreadyRecording,
    Busy,
    InvalidInput,
    MarksSealed,
    NotRecording,
    SessionInUse,
    UnknownMark,
)
from appliance.controller.consent import Consent, consent_document, default_dates, trusted_today
from appliance.controller.inputs import (
    validate_case_code,
    validate_mark,
    validate_mark_number,
    validate_note,
    validate_tag,
)
from appliance.controller.marks import listed
from appliance.errors import ApplianceError
from appliance.events import Event, EventBus
from appliance.sources.types import Clock
from appliance.tags import MARK_TAGS
from appliance.vault import UnknownSession
from appliance.vault.errors import ConsentClosed

if TYPE_CHECKING:
    from appliance.export.stick import Stick


class MonotonicTestClock:
    def now(self) -> float:
        return time.monotonic()


def tiny_jpeg(level: int) -> bytes:
    """A 64x48 grey JPEG whose brightness is `level` (so successive previews differ)."""
    import av
    import numpy as np

    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = 64, 48
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 10)
    picture = np.full((48, 64, 3), level % 256, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuvj420p")
    return b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])


@dataclass
class _Recording:
    id: str
    started: float
    case_code: str | None
    marks: list[dict[str, Any]] = field(default_factory=list)
    last_number: int = 0


class FakeController:
    def __init__(self, clock: Clock | None = None, *, wall_clock: Callable[[], float] = time.time):
        self.clock: Clock = clock or MonotonicTestClock()
        self.wall_clock = wall_clock
        self.events = EventBus()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.stored: dict[str, dict[str, Any]] = {}  # what the vault would hold
        #: The consent record of each session, as the vault would have encrypted it.
        self.consents: dict[str, dict[str, Any]] = {}
        #: Sessions exported (and so gone): their consent can no longer change.
        self.exported: set[str] = set()
        self.phone_times: list[float] = []
        self.warm_ups = 0
        self.time_source = "system"
        self.refuse_with: ApplianceError | None = None
        self._recording: _Recording | None = None
        self._failed = False
        #: The marks of the session being recorded, or of the last one.
        self.marks: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._preview_count = 0
        self._previews = [tiny_jpeg(level) for level in (40, 120, 200)]

    @property
    def state(self) -> str:
        if self._recording is not None:
            return "recording"
        return "error" if self._failed else "idle"

    @state.setter
    def state(self, value: str) -> None:
        """Tests put the fake in "error", as the controller is after a recording failed."""
        if value not in ("idle", "error") or self._recording is not None:
            raise ValueError(f"the fake cannot be put in {value!r}")
        self._failed = value == "error"

    def _publish(self, type_: str, **fields: Any) -> None:
        self.events.publish(Event(type_, self.clock.now(), fields))

    def _refuse_if_told(self) -> None:
        if self.refuse_with is not None:
            raise self.refuse_with

    # ---- commands -------------------------------------------------------------------------
    def start(self, case_code: str | None = None) -> str:
        with self._lock:
            self.calls.append(("start", {"case_code": case_code}))
            self._refuse_if_told()
            case_code = validate_case_code(case_code)
            if self._recording is not None:
                raise AlreadyRecording("A session is already being recorded.")
            session_id = f"20261125-2100{len(self.stored):02d}-abcd"
            self._recording = _Recording(session_id, self.clock.now(), case_code)
            self._failed = False
            self.marks = self._recording.marks
            self.stored[session_id] = {
                "id": session_id, "state": "recording", "started_at": self.wall_clock(),
                "duration_s": 0.0, "size_bytes": 0, "mark_count": 0, "clip_count": 0,
                "parts": [], "reason": None, "files": [], "consent_recorded": False,
            }  # fmt: skip
        self._publish("state", state="recording")
        self._publish("session", id=session_id, state="recording")
        return session_id

    def mark(
        self, tag: str | None = None, note: str | None = None, at: float | None = None
    ) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("mark", {"tag": tag, "note": note, "at": at}))
            self._refuse_if_told()
            tag, note = validate_mark(tag, note)
            recording = self._recording
            if recording is None:
                raise NotRecording("Nothing is being recorded, so there is nothing to mark.")
            pressed = self.clock.now() if at is None else at
            number = recording.last_number = recording.last_number + 1
            record = {
                "number": number,
                "media_time": pressed - recording.started,
                "tag": tag,
                "tag_label": MARK_TAGS.get(tag) if tag else None,
                "note": note,
                "wall_time": self.wall_clock() - (self.clock.now() - pressed),
                "clip": f"clip-{number:04d}.mp4.age",
            }
            recording.marks.append(record)
            self.stored[recording.id]["mark_count"] = len(recording.marks)
        self._publish("mark", session=recording.id, **listed(record))
        return record

    def retag_mark(self, session_id: str, number: int, tag: str | None) -> dict[str, Any]:
        number, tag = validate_mark_number(number), validate_tag(tag)
        with self._lock:
            self.calls.append(("retag_mark", {"session": session_id, "number": number, "tag": tag}))
            record = self._mark_of(session_id, number)
            record.update(tag=tag, tag_label=MARK_TAGS.get(tag) if tag else None)
        self._publish("mark_edited", session=session_id, **listed(record))
        return listed(record)

    def note_mark(self, session_id: str, number: int, note: str | None) -> dict[str, Any]:
        number, note = validate_mark_number(number), validate_note(note)
        with self._lock:
            self.calls.append(("note_mark", {"session": session_id, "number": number}))
            record = self._mark_of(session_id, number)
            record["note"] = note
        self._publish("mark_edited", session=session_id, **listed(record))
        return listed(record)

    def remove_mark(self, session_id: str, number: int) -> None:
        number = validate_mark_number(number)
        with self._lock:
            self.calls.append(("remove_mark", {"session": session_id, "number": number}))
            record = self._mark_of(session_id, number)
            assert self._recording is not None
            self._recording.marks.remove(record)
            self.stored[session_id]["mark_count"] = len(self._recording.marks)
        self._publish("mark_removed", session=session_id, number=number)

    def _mark_of(self, session_id: str, number: int) -> dict[str, Any]:
        recording = self._recording
        if recording is None or recording.id != session_id:
            raise MarksSealed("That session has stopped: its marks can no longer be changed here.")
        for record in recording.marks:
            if record["number"] == number:
                return record
        raise UnknownMark(f"This session has no mark {number}: it may have been removed.")

    def stop(self, reason: str = "stopped") -> str:
        with self._lock:
            self.calls.append(("stop", {"reason": reason}))
            self._refuse_if_told()
            recording = self._recording
            if recording is None:
                raise NotRecording("Nothing is being recorded.")
            info = self.stored[recording.id]
            info["state"] = "complete"
            info["duration_s"] = self.clock.now() - recording.started
            info["reason"] = None if reason == "stopped" else reason
            self._recording = None
        self._publish("state", state="stopping")
        self._publish("session", id=recording.id, state="complete")
        self._publish("state", state="idle")
        return recording.id

    def clear_error(self) -> None:
        with self._lock:
            self.calls.append(("clear_error", {}))
            was_error = self.state == "error"
            self._failed = False
        if was_error:
            self._publish("state", state="idle")

    def export(self, stick: Stick | None = None) -> None:
        with self._lock:
            self.calls.append(("export", {"stick": stick}))
            self._refuse_if_told()
            if self._recording is not None:
                raise AlreadyRecording("Stop the recording before exporting.")

    def delete_session(self, session_id: str, reason: str = "consent withdrawn") -> None:
        with self._lock:
            self.calls.append(("delete_session", {"id": session_id, "reason": reason}))
            if self._recording is not None and self._recording.id == session_id:
                raise SessionInUse("This session is being recorded; stop it before deleting it.")
            if session_id not in self.stored:
                raise UnknownSession(f"there is no session {session_id!r}")
            del self.stored[session_id]
        self._publish("session", id=session_id, state="deleted")

    def record_consent(self, session_id: str, consent: Consent) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("record_consent", {"id": session_id, "consent": consent}))
            self._refuse_if_told()
            now = self.wall_clock()
            document = consent_document(
                consent, today=trusted_today(now, self.time_source), wall_clock=now,
                time_source=self.time_source,
            )  # fmt: skip
            if session_id in self.exported:
                raise ConsentClosed(f"Session {session_id} was exported to a USB stick.")
            if session_id not in self.stored:
                raise UnknownSession(f"there is no session {session_id!r}")
            if self.state not in ("idle", "error", "recording"):
                raise Busy(f"The appliance is {self.state}.")
            self.consents[session_id] = document
            info = self.stored[session_id]
            info["consent_recorded"] = True
        self._publish("session", id=session_id, state=info["state"], consent_recorded=True)
        return document

    def export_session(self, session_id: str) -> None:
        """What an export does to a session, for tests: it leaves the device for good."""
        with self._lock:
            del self.stored[session_id]
            self.exported.add(session_id)
        self._publish("session", id=session_id, state="deleted")

    def set_wall_clock_from_phone(self, epoch_seconds: float) -> None:
        if not isinstance(epoch_seconds, int | float) or not math.isfinite(epoch_seconds):
            raise InvalidInput("The phone's time must be a number of seconds.")
        self.phone_times.append(epoch_seconds)
        self.time_source = "phone"

    # ---- what the front ends show -----------------------------------------------------------
    def status(self) -> dict[str, Any]:
        with self._lock:
            recording = self._recording
            return {
                "state": self.state,
                "session": recording.id if recording else None,
                "case_code": recording.case_code if recording else None,
                "elapsed": self.clock.now() - recording.started if recording else 0.0,
                "marks": [listed(m) for m in (recording.marks if recording else [])],
                "audio_dbfs": -20.0 if recording else None,
                "sound_warning": None,
                "storage_minutes": 312.5,
                "storage_bytes": 40 * 1024**3,
                "error": None,
                "time_source": self.time_source,
                "consent_default": default_dates(
                    trusted_today(self.wall_clock(), self.time_source)
                ),
            }

    def sessions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(info) for info in self.stored.values()]

    def warm_up(self) -> bool:
        self.warm_ups += 1
        return True

    def preview_jpeg(self) -> bytes | None:
        self.warm_up()
        with self._lock:
            self._preview_count += 1
            return self._previews[self._preview_count % len(self._previews)]

    # ---- the appliance around it ------------------------------------------------------------
    def stick_inserted(self, stick: Stick) -> None:
        self.calls.append(("stick_inserted", {"stick": stick}))

    def stick_removed(self, stick: Stick) -> None:
        self.calls.append(("stick_removed", {"stick": stick}))

    def poll(self) -> None:
        recording = self._recording
        self._publish(
            "sound", audio_dbfs=-20.0 if recording else None, peak_dbfs=None, warning=None
        )
        if recording is not None:
            self._publish(
                "tick", elapsed=round(self.clock.now() - recording.started, 3),
                audio_dbfs=-20.0, storage_minutes=312.5,
            )  # fmt: skip

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Always idle at once: the fake finishes a stop inside `stop`."""
        return self._recording is None

    def shutdown(self) -> None:
        if self._recording is not None:
            self.stop(reason="appliance shut down")

    def commands(self) -> list[str]:
        return [name for name, _ in self.calls]
