"""A small stand-in for `appliance.controller.Controller`, mirroring its public API.

Used until the real controller exists and wherever a test needs to see exactly which
commands a front end sent (and with which press time). It keeps the same state machine
(idle -> recording -> idle), publishes the same event types on an EventBus, and raises
errors of the same kinds (ApplianceError + the built-in each resembles).
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from typing import Any

from appliance.controller import AlreadyRecording, InvalidInput, NotRecording, SessionInUse
from appliance.errors import ApplianceError
from appliance.events import Event, EventBus
from appliance.tags import MARK_TAGS, MAX_NOTE_LENGTH
from appliance.vault import UnknownSession


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


class FakeController:
    def __init__(self, clock: Any = None, *, wall_clock=time.time) -> None:
        self.clock = clock or MonotonicTestClock()
        self.wall_clock = wall_clock
        self.events = EventBus()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.state = "idle"
        self.session: str | None = None
        self.started: float | None = None
        self.marks: list[dict[str, Any]] = []
        self.stored: dict[str, dict[str, Any]] = {}  # what the vault would hold
        self.phone_times: list[float] = []
        self.warm_ups = 0
        self.time_source = "system"
        self.refuse_with: ApplianceError | None = None
        self._lock = threading.Lock()
        self._preview_count = 0
        self._previews = [tiny_jpeg(level) for level in (40, 120, 200)]

    def _publish(self, type_: str, **fields: Any) -> None:
        self.events.publish(Event(type_, self.clock.now(), fields))

    def _refuse_if_told(self) -> None:
        if self.refuse_with is not None:
            raise self.refuse_with

    def start(self, case_code: str | None = None) -> str:
        with self._lock:
            self.calls.append(("start", {"case_code": case_code}))
            self._refuse_if_told()
            if self.state == "recording":
                raise AlreadyRecording("A session is already being recorded.")
            self.state = "recording"
            self.session = f"20261125-2100{len(self.stored):02d}-abcd"
            self.started = self.clock.now()
            self.marks = []
            self.stored[self.session] = {
                "id": self.session, "state": "recording", "started_at": self.wall_clock(),
                "duration_s": 0.0, "size_bytes": 0, "mark_count": 0, "parts": 1, "files": [],
            }  # fmt: skip
        self._publish("state", state="recording")
        self._publish("session", id=self.session, state="recording")
        return self.session

    def mark(self, tag: str | None = None, note: str | None = None, at: float | None = None):
        with self._lock:
            self.calls.append(("mark", {"tag": tag, "note": note, "at": at}))
            self._refuse_if_told()
            if self.state != "recording":
                raise NotRecording("Nothing is being recorded, so there is nothing to mark.")
            if tag is not None and tag not in MARK_TAGS:
                raise InvalidInput("Unknown tag.")
            if note is not None and len(note) > MAX_NOTE_LENGTH:
                raise InvalidInput("The note is too long.")
            at = self.clock.now() if at is None else at
            number = len(self.marks) + 1
            record = {"number": number, "media_time": at - self.started, "tag": tag, "note": note}
            self.marks.append(record)
            self.stored[self.session]["mark_count"] = number
        self._publish("mark", number=number, media_time=record["media_time"], tag=tag)
        return {"number": number, "media_time": record["media_time"]}

    def stop(self) -> None:
        with self._lock:
            self.calls.append(("stop", {}))
            self._refuse_if_told()
            if self.state != "recording":
                raise NotRecording("Nothing is being recorded.")
            info = self.stored[self.session]
            info["state"] = "complete"
            info["duration_s"] = self.clock.now() - self.started
            self.state = "idle"
            finished, self.session = self.session, None
        self._publish("session", id=finished, state="complete")
        self._publish("state", state="idle")

    def export(self) -> None:
        self.calls.append(("export", {}))

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            self.calls.append(("delete_session", {"id": session_id}))
            if session_id not in self.stored:
                raise UnknownSession(f"There is no session {session_id} on this device.")
            if session_id == self.session:
                raise SessionInUse("This session is being recorded; stop it before deleting it.")
            del self.stored[session_id]

    def status(self) -> dict[str, Any]:
        with self._lock:
            elapsed = self.clock.now() - self.started if self.state == "recording" else 0.0
            return {
                "state": self.state,
                "session": self.session,
                "elapsed": elapsed,
                "marks": [dict(m) for m in self.marks],
                "audio_dbfs": -20.0 if self.state == "recording" else None,
                "storage_minutes": 312.5,
                "storage_bytes": 40 * 1024**3,
                "error": None,
                "time_source": self.time_source,
            }

    def sessions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(info) for info in self.stored.values()]

    def warm_up(self) -> bool:
        self.warm_ups += 1
        return True

    def preview_jpeg(self) -> bytes | None:
        with self._lock:
            self._preview_count += 1
            return self._previews[self._preview_count % len(self._previews)]

    def set_wall_clock_from_phone(self, epoch_seconds: float) -> None:
        self.phone_times.append(epoch_seconds)
        self.time_source = "phone"

    def commands(self) -> list[str]:
        return [name for name, _ in self.calls]
