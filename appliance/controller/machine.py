"""The one state machine of the appliance (DESIGN.md "The data flows one way").

The button, the panel and the CLI are thin front ends: they call `start`, `mark`, `stop`,
`export`, `delete_session` and `status` here, and listen to `events`. Every command takes
the lock only for bookkeeping and returns in a few milliseconds; slow work (closing the
muxer, cutting the last clips, exporting) runs on the controller's worker thread, so a
Mark is never queued behind a Stop.

The sources stay running between sessions while a start is likely ("warm"), so the first
recorded frame can be an IDR captured within 150 ms of `start()`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config
from ..errors import ApplianceError
from ..events import Event, EventBus
from ..export.errors import ExportError
from ..export.stick import select_stick
from ..recording.errors import RecordingError
from ..sources.sound_check import SoundCheck
from ..sources.types import AudioBlock, Camera, Clock, EncodedFrame, Microphone
from ..tags import MARK_TAGS
from ..vault import state as session_state
from ..vault.session_files import numbered_name
from .consent import Consent, consent_document, default_dates, trusted_today
from .errors import (
    AlreadyRecording,
    Busy,
    ControllerError,
    InvalidInput,
    MarksSealed,
    NotRecording,
    SessionInUse,
)
from .inputs import (
    validate_case_code,
    validate_mark,
    validate_mark_number,
    validate_note,
    validate_tag,
)
from .marks import SessionMarks, listed
from .session_metadata import session_metadata
from .states import ERROR, EXPORTING, IDLE, RECORDING, SETTLED, STOPPING, check_transition

if TYPE_CHECKING:
    from ..export.exporter import Exporter
    from ..export.progress import ExportProgress
    from ..export.stick import Stick
    from ..recording.part import PartSummary
    from ..vault import SessionWriter, Vault

__all__ = ["Controller"]

_logger = logging.getLogger(__name__)

SOURCE_TIMEOUT = 2.0


class Recorder(Protocol):
    """What the controller needs from the recording pipeline of one session."""

    def on_frame(self, frame: EncodedFrame) -> None: ...
    def on_audio(self, block: AudioBlock) -> None: ...
    def mark_media_time(self, t_monotonic: float) -> float: ...
    def add_mark(self, number: int, t_monotonic: float) -> float: ...
    def drop_clip(self, number: int) -> None: ...
    def stop(self) -> list[PartSummary]: ...

    @property
    def media_time(self) -> float: ...


#: Builds the recorder of one session; it calls `on_error` (from its own thread) when
#: writing fails, and the controller then stops the session at its next poll.
RecorderFactory = Callable[["SessionWriter", Callable[[BaseException], None]], Recorder]


@dataclass
class _Recording:
    session: SessionWriter
    recorder: Recorder
    started: float
    case_code: str | None
    marks: SessionMarks


class Controller:
    """Owns the state: idle, recording, stopping, exporting, error (see `states`)."""

    def __init__(
        self,
        config: Config,
        vault: Vault,
        camera: Camera,
        microphone: Microphone,
        clock: Clock,
        *,
        recorder_factory: RecorderFactory,
        wall_clock: Callable[[], float] = time.time,
        time_source: str = "system",
        exporter: Exporter | None = None,
        find_sticks: Callable[[], Sequence[Stick]] | None = None,
    ) -> None:
        self.config = config
        self.vault = vault
        self.camera = camera
        self.microphone = microphone
        self.clock = clock
        self.events = EventBus()
        self.exporter = exporter
        self._find_sticks: Callable[[], Sequence[Stick]] = find_sticks or (lambda: [])
        self._stick_waiting: Stick | None = None
        self._recorder_factory = recorder_factory
        self._wall_clock = wall_clock
        self._time_source = time_source
        self._lock = threading.RLock()
        self._state = IDLE
        self._recording: _Recording | None = None
        self._last_error: dict[str, Any] | None = None
        self._sources_running = False
        self._last_frame = self._last_audio = clock.now()
        #: Fed every block from the microphone's thread, whether or not a session records.
        self._sound = SoundCheck()
        self._sound_warning: str | None = None  # the warning's code at the last poll, to log
        self._pipeline_error: BaseException | None = None
        self._warm_until = clock.now() + config.recording.warm_minutes * 60
        self._worker: threading.Thread | None = None
        self._settled = threading.Event()
        self._settled.set()

    # ---- events -------------------------------------------------------------------------
    def _publish(self, type_: str, **fields: Any) -> None:
        self.events.publish(Event(type_, self.clock.now(), fields))

    def _set_state(self, state: str) -> None:
        """The one way the state changes: refused (InvalidTransition) unless in the table."""
        check_transition(self._state, state)
        self._state = state
        if state in SETTLED:
            self._settled.set()
        else:
            self._settled.clear()
        self._publish("state", state=state)

    def _report_error(
        self, error: ApplianceError | str, code: str = "error", hint: str = ""
    ) -> None:
        if isinstance(error, ApplianceError):
            code, words, hint = error.code, str(error), error.hint
        else:
            words = error
        self._last_error = {"code": code, "message": words, "hint": hint}
        self._publish("error", code=code, message=words, hint=hint)

    def report_error(self, error: ApplianceError) -> None:
        """Show an error that arose outside the controller's commands (e.g. the system
        refusing to power off) as any other: in the status, and as an `error` event."""
        with self._lock:
            self._report_error(error)

    # ---- sources ------------------------------------------------------------------------
    def warm_up(self) -> bool:
        """Start the sources (if they are not running) so a start can begin at once.

        A source that cannot start is reported (the status, an `error` event that the LEDs
        and the panel show, the log), not raised: at boot the service stays up to say what
        is wrong instead of exiting into a restart loop, and the next start tries again.
        True when the sources run.
        """
        try:
            self._start_sources()
        except ApplianceError as exc:
            _logger.error("the sources could not start: %s", exc.user_message())
            return False
        return True

    def _start_sources(self) -> None:
        """Start the sources; if the microphone fails, the camera is stopped again."""
        with self._lock:
            self._warm_until = max(
                self._warm_until, self.clock.now() + self.config.recording.warm_minutes * 60
            )
            if self._sources_running:
                return
            self._last_frame = self._last_audio = self.clock.now()
            self._sound.reset()
            try:
                self.camera.start(self._on_frame)
                try:
                    self.microphone.start(self._on_audio)
                except BaseException:
                    self.camera.stop()
                    raise
            except ApplianceError as exc:
                self._report_error(exc)
                raise
            self._sources_running = True

    def cool_down(self) -> None:
        """Stop the sources while no start is likely, to save power and heat."""
        with self._lock:
            if not self._sources_running or self._recording is not None:
                return
            self._sources_running = False
        self.camera.stop()
        self.microphone.stop()
        self._sound.reset()

    def _on_frame(self, frame: EncodedFrame) -> None:
        self._last_frame = self.clock.now()
        recording = self._recording
        if recording is not None:
            self._feed(recording.recorder.on_frame, frame)

    def _on_audio(self, block: AudioBlock) -> None:
        self._last_audio = self.clock.now()
        self._sound.feed(block.samples, block.sample_rate)
        recording = self._recording
        if recording is not None:
            self._feed(recording.recorder.on_audio, block)

    def _feed(self, consume: Callable[[Any], None], item: Any) -> None:
        """Hand a frame or block over; a failed recording must not kill the source's thread.

        An inline recorder raises its failure at once, to the source that fed it; the
        failure is noted like one reported through `on_error`, and `poll()` acts on it.
        """
        try:
            consume(item)
        except RecordingError as exc:
            if self._pipeline_error is None:
                self._pipeline_error = exc

    def _on_pipeline_error(self, error: BaseException) -> None:
        """Called from the recorder's thread: only noted here; `poll()` acts on it."""
        self._pipeline_error = error

    def preview_jpeg(self) -> bytes | None:
        """The latest picture for framing the shot; asking for it keeps the camera warm."""
        self.warm_up()
        return self.camera.preview_jpeg()

    # ---- commands -----------------------------------------------------------------------
    def start(self, case_code: str | None = None) -> str:
        """Begin a session; returns its id. The first frame recorded is a fresh IDR."""
        case_code = validate_case_code(case_code)
        with self._lock:
            if self._state == RECORDING:
                raise AlreadyRecording("A session is already being recorded.")
            if self._state not in SETTLED:
                raise Busy(f"The appliance is {self._state}.")
            started = self.clock.now()
            self.vault.check_can_start()
            self._start_sources()
            session = self.vault.create_session(
                session_metadata(
                    case_code,
                    wall_clock_start=self._wall_clock(),
                    time_source=self._time_source,
                    camera=self.camera,
                    microphone=self.microphone,
                    recording=self.config.recording,
                    recipients=self.vault.recipients(),
                )
            )
            self._pipeline_error = None
            recorder = self._recorder_factory(session, self._on_pipeline_error)
            self._recording = _Recording(
                session, recorder, started, case_code, SessionMarks(session)
            )
            # Only now that frames reach the recorder: an IDR asked for earlier could be
            # captured while the session was being created, and be lost with its GOP.
            self.camera.request_keyframe()
            self._last_error = None
            self._set_state(RECORDING)
            self._publish("session", id=session.id, state=session_state.RECORDING)
            self._publish_sound()  # a dead microphone is said at the start, not a poll later
            _logger.info("session %s started", session.id)
            return session.id

    def mark(
        self, tag: str | None = None, note: str | None = None, at: float | None = None
    ) -> dict[str, Any]:
        """Mark a moment: `at` is the monotonic time of the physical press (default now)."""
        tag, note = validate_mark(tag, note)
        pressed = self.clock.now() if at is None else float(at)
        with self._lock:
            recording = self._recording
            if recording is None or self._state != RECORDING:
                raise NotRecording("Nothing is being recorded, so there is nothing to mark.")
            moment = max(recording.started, pressed - self.config.recording.mark_latency)
            number = recording.marks.next_number()
            record = {
                "number": number,
                "media_time": round(recording.recorder.mark_media_time(moment), 6),
                "tag": tag,
                "tag_label": MARK_TAGS.get(tag) if tag else None,
                "note": note,
                "wall_time": self._wall_clock() - (self.clock.now() - moment),
                "clip": numbered_name("clip", number),
            }
            recording.marks.add(record)
            recording.recorder.add_mark(number, moment)
            self._publish("mark", session=recording.session.id, **listed(record))
            return record

    def retag_mark(self, session_id: str, number: int, tag: str | None) -> dict[str, Any]:
        """Give mark `number` of the session being recorded a principle (or none)."""
        number, tag = validate_mark_number(number), validate_tag(tag)
        with self._lock:
            recording = self._editable(session_id)
            record = recording.marks.retag(number, tag)
            self._publish("mark_edited", session=session_id, **listed(record))
            return listed(record)

    def note_mark(self, session_id: str, number: int, note: str | None) -> dict[str, Any]:
        """Give mark `number` of the session being recorded a note (None clears it)."""
        number, note = validate_mark_number(number), validate_note(note)
        with self._lock:
            recording = self._editable(session_id)
            record = recording.marks.renote(number, note)
            self._publish("mark_edited", session=session_id, **listed(record))
            return listed(record)

    def remove_mark(self, session_id: str, number: int) -> None:
        """Delete mark `number` and its clip for good (audited by number, not content)."""
        number = validate_mark_number(number)
        with self._lock:
            recording = self._editable(session_id)
            recording.marks.remove(number)
            recording.recorder.drop_clip(number)
            self._publish("mark_removed", session=session_id, number=number)

    def _editable(self, session_id: str) -> _Recording:
        """The recording whose marks may change: only the one being recorded, by its id, so
        a tag meant for one family's session can never reach the next one's."""
        recording = self._recording
        if recording is None or self._state != RECORDING or recording.session.id != session_id:
            raise MarksSealed(
                "That session has stopped, so its marks can no longer be changed here: "
                "the device cannot read them back."
            )
        return recording

    def stop(self, reason: str = "stopped") -> str:
        """End the session: it is finished on the worker thread, then the state is idle."""
        return self._stop(reason, failed=False)

    def _stop(self, reason: str, *, failed: bool) -> str:
        """Stop; a `failed` recording leaves the controller in `error` once it is saved."""
        with self._lock:
            recording = self._recording
            if recording is None or self._state != RECORDING:
                raise NotRecording("Nothing is being recorded.")
            self._recording = None
            self._set_state(STOPPING)
            self._worker = threading.Thread(
                target=self._finish, args=(recording, reason, failed), name="session-finish"
            )
            self._worker.start()
            return recording.session.id

    def _finish(self, recording: _Recording, reason: str, failed: bool) -> None:
        state = session_state.COMPLETE
        try:
            recording.recorder.stop()
        except (ApplianceError, OSError) as exc:
            _logger.error("closing session %s failed: %s", recording.session.id, exc)
            state = session_state.INTERRUPTED
            failed = True
            if self._pipeline_error is None:  # else poll() has already told the user
                reason = f"closing failed: {exc}"
                self._report_error(
                    exc if isinstance(exc, ApplianceError) else str(exc), "close_failed"
                )
        try:
            recording.session.update_metadata(
                {"stop_reason": reason, "marks": len(recording.marks)}
            )
            recording.session.finish(
                state,
                None if reason == "stopped" else reason,
                duration_s=recording.recorder.media_time,
            )
        except (ApplianceError, OSError) as exc:
            _logger.error("finishing session %s failed: %s", recording.session.id, exc)
            failed = True
            self._report_error(
                exc if isinstance(exc, ApplianceError) else str(exc), "finish_failed"
            )
        with self._lock:
            self._warm_until = self.clock.now() + self.config.recording.warm_minutes * 60
            self._publish("session", id=recording.session.id, state=state)
            waiting, self._stick_waiting = self._stick_waiting, None
            # A stick that waited for the stop is exported straight away, never via idle;
            # the failure stays in `status()["error"]` while it runs.
            if waiting is not None:
                self._set_state(EXPORTING)
            else:
                self._set_state(ERROR if failed else IDLE)
        _logger.info("session %s %s (%s)", recording.session.id, state, reason)
        if waiting is not None:
            self._export(waiting)

    def export(self, stick: Stick | None = None) -> None:
        """Copy, verify and then delete every finished session, on the worker thread."""
        with self._lock:
            if self.exporter is None:
                raise Busy("Export is not set up on this appliance.")
            if self._state == RECORDING:
                raise AlreadyRecording("Stop the recording before exporting.")
            if self._state not in SETTLED:
                raise Busy(f"The appliance is {self._state}.")
            stick = stick if stick is not None else select_stick(self._find_sticks())
            self._stick_waiting = None
            self._last_error = None
            self._set_state(EXPORTING)
            self._worker = threading.Thread(target=self._export, args=(stick,), name="export")
            self._worker.start()

    def _export(self, stick: Stick) -> None:
        def progress(update: ExportProgress) -> None:
            self._publish("export", **update.as_fields())

        exporter = self.exporter
        try:
            assert exporter is not None  # export() and stick_inserted() refuse without one
            result = exporter.export(stick, progress=progress)
            if not result.ok:
                self._report_error(result.summary(), "export_incomplete", "")
            _logger.info("export finished: %d session(s)", len(result.exported))
        except ExportError as exc:
            _logger.error("export failed: %s", exc.code)
            self._report_error(exc)
        finally:
            with self._lock:
                self._set_state(IDLE)

    def stick_inserted(self, stick: Stick) -> None:
        """A stick appeared: export now if auto-export is on, or once the session stops."""
        if not self.config.export.auto_export or self.exporter is None:
            return
        with self._lock:
            if self._state in (RECORDING, STOPPING):
                self._stick_waiting = stick
                return
        try:
            self.export(stick)
        except ControllerError as exc:
            self._report_error(exc)

    def stick_removed(self, stick: Stick) -> None:
        """A stick went away: forget it, and let the LEDs and panel stop saying "safe"."""
        with self._lock:
            if self._stick_waiting is stick:
                self._stick_waiting = None
        self._publish(
            "export",
            phase="removed",
            bytes_done=0,
            bytes_total=0,
            files_done=0,
            files_total=0,
            session=None,
        )

    def sessions(self) -> list[dict[str, Any]]:
        """The sessions on the card, for the panel's list (no personal data in them)."""
        return [info.to_dict() for info in self.vault.list_sessions()]

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until a stop or export has finished, in idle or error (for the CLI and tests)."""
        return self._settled.wait(timeout)

    def clear_error(self) -> None:
        """The practitioner has seen the error: forget it, and leave the error state."""
        with self._lock:
            self._last_error = None
            if self._state == ERROR:
                self._set_state(IDLE)

    def delete_session(self, session_id: str, reason: str = "consent withdrawn") -> None:
        """Delete a session at once, e.g. when consent is withdrawn. Audited by the vault."""
        with self._lock:
            recording = self._recording
            if recording is not None and recording.session.id == session_id:
                raise SessionInUse("This session is being recorded; stop it before deleting it.")
            if self._state == EXPORTING:
                raise Busy("An export is running; delete the session when it has finished.")
            self.vault.session(session_id)
            self.vault.delete_session(session_id, reason=reason)
            self._publish("session", id=session_id, state=session_state.DELETED)

    def record_consent(self, session_id: str, consent: Consent) -> dict[str, Any]:
        """Store the family's consent with a session, or replace it until the session is
        exported; returns the record as stored (its delete-by date worked out)."""
        with self._lock:
            now = self._wall_clock()
            document = consent_document(
                consent, today=trusted_today(now, self._time_source), wall_clock=now,
                time_source=self._time_source,
            )  # fmt: skip
            recording = self._recording
            if recording is not None and recording.session.id == session_id:
                recording.session.write_consent(document)
                state = session_state.RECORDING
            elif self._state in (EXPORTING, STOPPING):
                raise Busy(
                    f"The appliance is {self._state}; record the consent when it has finished."
                )
            else:
                self.vault.write_consent(session_id, document)
                state = self.vault.session(session_id).state
            self._publish("session", id=session_id, state=state, consent_recorded=True)
            return document

    def set_wall_clock_from_phone(self, epoch_seconds: float) -> None:
        """Record that the phone's time is now the wall clock's source (audited)."""
        if not isinstance(epoch_seconds, int | float) or not math.isfinite(epoch_seconds):
            raise InvalidInput("The phone's time must be a number of seconds.")
        with self._lock:
            self._time_source = "phone"
            self.vault.audit.append("time_set", source="phone")

    # ---- periodic checks ----------------------------------------------------------------
    def poll(self) -> None:
        """Once a second: publish the sound and the tick, stop at the space reserve or a
        silent source."""
        now = self.clock.now()
        with self._lock:
            self._publish_sound()
            recording = self._recording
            if recording is None or self._state != RECORDING:
                if self._sources_running and now > self._warm_until and self._state in SETTLED:
                    warm_expired = True
                else:
                    warm_expired = False
            else:
                warm_expired = False
                space = self.vault.free_space()
                self._publish(
                    "tick",
                    elapsed=round(now - recording.started, 3),
                    audio_dbfs=self._sound.reading.level_dbfs,
                    storage_minutes=round(space.minutes, 1),
                )
                failure = self._source_failure(now)
                if self._pipeline_error is not None:
                    self._report_error(
                        "Writing the recording to the SD card failed, so it was stopped; "
                        "everything up to the failure is kept.",
                        "recording_failed",
                        "Check the SD card, then export the sessions.",
                    )
                    self._stop("writing failed", failed=True)
                elif failure is not None:
                    self._report_error(failure, "source_failed", "Check the camera and microphone.")
                    self._stop(failure, failed=True)
                elif recording.session.at_reserve():
                    self._report_error(
                        "The SD card is nearly full, so the recording was stopped and saved.",
                        "storage_full",
                        "Export the sessions to a USB stick to free space.",
                    )
                    self._stop("storage reserve reached", failed=True)
        if warm_expired:
            self.cool_down()

    def _publish_sound(self) -> None:
        """The `sound` event: the level and any warning, in every state, so the meter works
        before Start; a warning that comes or goes is logged (by its code only)."""
        reading = self._sound.reading
        code = reading.warning.code if reading.warning is not None else None
        if code != self._sound_warning:
            _logger.info("sound warning: %s", code or "none")
            self._sound_warning = code
        self._publish(
            "sound",
            audio_dbfs=reading.level_dbfs,
            peak_dbfs=reading.peak_dbfs,
            warning=reading.warning_dict(),
        )

    def healthy(self) -> bool:
        """True while the pipeline is alive: running sources are delivering in time."""
        with self._lock:
            if self._recording is not None and self._pipeline_error is not None:
                return False
            if not self._sources_running:
                return True
            return self._source_failure(self.clock.now()) is None

    def _source_failure(self, now: float) -> str | None:
        if now - self._last_frame > SOURCE_TIMEOUT:
            return f"The camera delivered nothing for {SOURCE_TIMEOUT:.0f} s."
        if now - self._last_audio > SOURCE_TIMEOUT:
            return f"The microphone delivered nothing for {SOURCE_TIMEOUT:.0f} s."
        return None

    def status(self) -> dict[str, Any]:
        with self._lock:
            recording = self._recording
            space = self.vault.free_space()
            now = self.clock.now()
            sound = self._sound.reading
            return {
                "state": self._state,
                "session": recording.session.id if recording else None,
                "case_code": recording.case_code if recording else None,
                "elapsed": round(now - recording.started, 3) if recording else 0.0,
                "marks": recording.marks.listed() if recording else [],
                "audio_dbfs": sound.level_dbfs,
                "sound_warning": sound.warning_dict(),
                "storage_minutes": round(space.minutes, 1),
                "storage_bytes": space.bytes,
                "error": self._last_error,
                "time_source": self._time_source,
                "consent_default": default_dates(trusted_today(self._wall_clock(),
                                                               self._time_source)),
            }

    def shutdown(self) -> None:
        """Stop cleanly (SIGTERM, end of `run`): the session is saved, the sources stop."""
        with self._lock:
            recording = self._recording is not None
        if recording:
            self.stop(reason="appliance shut down")
        self.wait_idle()
        with self._lock:
            self._warm_until = -math.inf
        self.cool_down()
