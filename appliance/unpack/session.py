"""Unpacking one exported session into a folder a practitioner can use.

Order: check every file against the manifest; decrypt the metadata and marks; decrypt the
parts (salvaging an interrupted one) and join them into one MP4; re-wrap each clip as its
own MP4; take a picture at each mark; write marks.csv, the contact sheet and index.html.
A failing file is named and the rest still written: one bad clip must not cost a session.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..tags import MARK_TAGS
from ..vault.age import AgeError, Identity, NoIdentityMatched, TruncatedStream
from ..vault.session_files import (
    CONSENT_FILE,
    CONSENT_NOT_RECORDED,
    METADATA_FILE,
    number_of,
    numbered_name,
)
from .decrypt import Decrypted, decrypt_json, decrypt_media
from .errors import MediaUnreadable, WrongKey
from .media import grab_frames, join_parts
from .progress import Progress
from .report import (
    MarkRow,
    clock_text,
    contact_sheet,
    write_jpeg,
    write_marks_csv,
    write_session_index,
)
from .source import SessionSource

#: Wide enough to see faces and gestures on the contact sheet (the index shows them smaller).
THUMB_WIDTH = 480
WORK_DIR = ".vig-unpack-work"
SHEET_NAME = "contact-sheet.jpg"
_SESSION_ID = re.compile(r"^(\d{8})-(\d{6})")
DELETE_BY = "Delete every copy by"
NO_RECORD_ADVICE = (
    "make no copy for the family, and check the service's consent form before showing the clips"
)


@dataclass
class SessionOutcome:
    session_id: str
    folder: Path
    title: str
    video: Path | None = None
    duration_s: float = 0.0
    clips: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The consent record in words (one fact when none was recorded).
    consent: list[tuple[str, str]] = field(default_factory=list)


def session_start(source: SessionSource, metadata: dict[str, Any]) -> float | None:
    for value in (metadata.get("wall_clock_start"), metadata.get("started_at"),
                  source.manifest.started_at if source.manifest else None):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    match = _SESSION_ID.match(source.id)
    if match:
        stamp = time.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
        return float(calendar.timegm(stamp))
    return None


def principle_label(mark: dict[str, Any]) -> str:
    """The principle as practitioners name it ("Being attentive"), never its slug."""
    tag = str(mark.get("tag") or "")
    label = mark.get("tag_label")
    if isinstance(label, str) and label:
        return label
    return MARK_TAGS.get(tag, tag)


def consent_facts(
    consent: dict[str, Any] | None, today: datetime.date | None = None
) -> list[tuple[str, str]]:
    """The family's consent record in words; a session without one says so plainly.

    `today` (the laptop's date) flags a delete-by date that has passed.
    """
    if consent is None:
        return [("Consent", f"{CONSENT_NOT_RECORDED}: {NO_RECORD_ADVICE}")]

    def agreed(key: str) -> str:
        value = consent.get(key)
        return "yes" if value is True else "no" if value is False else "not stated"

    delete_by = str(consent.get("delete_by") or "not stated")
    with contextlib.suppress(ValueError):
        if today is not None and datetime.date.fromisoformat(delete_by) < today:
            delete_by += " (passed: delete every copy now)"
    return [
        ("Consent: filming", agreed("filming")),
        ("Consent: clips in supervision or training", agreed("training")),
        ("Consent: stills or clips for the family", agreed("family_copy")),
        (DELETE_BY, delete_by),
    ]


def consent_line(facts: list[tuple[str, str]]) -> str:
    """The consent facts as one line of the text output."""
    if len(facts) == 1:  # the one fact of a session without a record
        return f"consent {facts[0][1]}"
    return "; ".join(f"{name.removeprefix('Consent: ').lower()}: {value}"
                     for name, value in facts)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:40] or "untagged"


class SessionUnpacker:
    def __init__(self, identities: list[Identity], progress: Progress) -> None:
        self._identities = identities
        self._progress = progress

    def unpack(self, source: SessionSource, out_root: Path) -> SessionOutcome:
        folder = out_root / source.id
        folder.mkdir(parents=True, exist_ok=True)
        outcome = SessionOutcome(source.id, folder, f"Session {source.id}")
        for name, problem in source.damaged.items():
            outcome.failures.append(f"{source.directory / name} is damaged: {problem}.")
        outcome.failures.extend(source.untrusted)
        if source.manifest_problem:
            outcome.warnings.append(
                f"{source.directory}: {source.manifest_problem}; the files could not be checked."
            )
        work = folder / WORK_DIR
        work.mkdir(exist_ok=True)
        try:
            metadata = self._metadata(source, outcome)
        except WrongKey:
            shutil.rmtree(work, ignore_errors=True)
            with contextlib.suppress(OSError):
                folder.rmdir()  # nothing was written for a session this key cannot open
            raise
        try:
            start = session_start(source, metadata)
            stamp = (
                time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(start)) if start else source.id
            )
            outcome.title = f"Session {stamp.replace('_', ' ')}" + (
                f" · {metadata['case_code']}" if metadata.get("case_code") else ""
            )
            self._session_video(source, work, folder / f"session_{stamp}.mp4", outcome)
            marks = self._marks(source, outcome)
            rows = self._clips(source, marks, work, folder, outcome)
            rows = self._pictures(rows, folder, outcome)
            write_marks_csv(folder / "marks.csv", rows)
            facts = self._facts(source, metadata, outcome, start)
            outcome.consent = consent_facts(
                self._consent(source, outcome), datetime.date.today()
            )
            facts += outcome.consent
            write_session_index(
                folder / "index.html", title=outcome.title, facts=facts,
                session_video=outcome.video.name if outcome.video else None,
                sheet_file=SHEET_NAME if (folder / SHEET_NAME).exists() else None,
                marks=rows, warnings=outcome.warnings + outcome.failures,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return outcome

    # --- decrypting ---------------------------------------------------------------------

    def _media(
        self, source: SessionSource, name: str, work: Path, outcome: SessionOutcome
    ) -> Decrypted | None:
        """The decrypted file, or None when it cannot be read at all (then it is reported)."""
        self._progress.step(f"decrypting {source.id}/{name}")
        try:
            return decrypt_media(
                source.directory / name, work / name.removesuffix(".age"), self._identities,
                self._progress.add,
            )
        except OSError as exc:
            if name not in source.damaged:
                outcome.failures.append(
                    f"{source.directory / name} cannot be read: {exc.strerror or exc}."
                )
            return None
        except NoIdentityMatched as exc:
            if name in source.damaged:
                return Decrypted(name, work / name, 0, False, exc)
            raise WrongKey(f"The key given does not open {source.directory / name}.") from exc

    def _metadata(self, source: SessionSource, outcome: SessionOutcome) -> dict[str, Any]:
        path = source.directory / METADATA_FILE
        if not path.exists():
            outcome.failures.append(f"{path} is missing.")
            return {}
        try:
            return decrypt_json(path, self._identities)
        except NoIdentityMatched as exc:
            if METADATA_FILE in source.damaged:
                return {}
            raise WrongKey(f"The key given does not open {path}.") from exc
        except (AgeError, ValueError) as exc:
            outcome.failures.append(f"{path} cannot be read: {exc}.")
            return {}

    def _consent(self, source: SessionSource, outcome: SessionOutcome) -> dict[str, Any] | None:
        path = source.directory / CONSENT_FILE
        if not source.names("consent"):
            return None  # none was exported, or one added to the stick since: not used
        try:
            return decrypt_json(path, self._identities)
        except (AgeError, ValueError, OSError) as exc:
            outcome.failures.append(f"{path} cannot be read: {exc}.")
            return None

    def _marks(self, source: SessionSource, outcome: SessionOutcome) -> list[dict[str, Any]]:
        """The marks, in order, with the fields unpack needs checked (extra fields ignored)."""
        marks = []
        for name in source.names("mark"):
            try:
                mark = decrypt_json(source.directory / name, self._identities)
                mark["number"] = int(mark.get("number") or number_of(name) or 0)
                mark["media_time"] = float(mark.get("media_time") or 0.0)
            except (AgeError, ValueError, TypeError, OSError) as exc:
                outcome.failures.append(f"{source.directory / name} cannot be read: {exc}.")
                continue
            marks.append(mark)
        return sorted(marks, key=lambda m: m["number"])

    def _judge(self, source: SessionSource, got: Decrypted, outcome: SessionOutcome) -> None:
        """Say what an incomplete file means: expected for an interrupted part, else damage."""
        if got.complete:
            return
        entry = next((f for f in source.files() if f.name == got.name), None)
        expected = (
            entry is not None and not entry.complete and got.name not in source.damaged
            and isinstance(got.reason, TruncatedStream)
        )
        if not expected:
            outcome.failures.append(
                f"{source.directory / got.name} could not be fully decrypted ({got.reason}); "
                f"the first {got.plaintext_bytes} bytes that authenticate were kept."
            )

    # --- writing ------------------------------------------------------------------------

    def _session_video(
        self, source: SessionSource, work: Path, target: Path, outcome: SessionOutcome
    ) -> None:
        decrypted = []
        for name in source.names("part"):
            got = self._media(source, name, work, outcome)
            if got is None:
                continue
            self._judge(source, got, outcome)
            if got.plaintext_bytes:
                decrypted.append(got)
        if not decrypted:
            outcome.failures.append(f"No part of session {source.id} could be decrypted.")
            return
        self._progress.step(f"joining {len(decrypted)} part(s) into {target.name}")
        try:
            report = join_parts([d.path for d in decrypted], target)
        except MediaUnreadable as exc:
            outcome.failures.append(f"Session {source.id}: {exc.user_message()}")
            return
        outcome.video, outcome.duration_s = target, report.duration_s
        for path, at, why in report.stopped_early:
            outcome.failures.append(f"{path.name} stopped early at {clock_text(at)}: {why}")
        if source.interrupted or any(not d.complete for d in decrypted):
            outcome.warnings.append(
                f"The recording was interrupted: it stops at {clock_text(report.duration_s)} "
                f"({report.duration_s:.1f} s) into the session."
            )

    def _clips(
        self, source: SessionSource, marks: list[dict[str, Any]], work: Path, folder: Path,
        outcome: SessionOutcome,
    ) -> list[MarkRow]:
        clips_dir = folder / "clips"
        rows = []
        for mark in marks:
            number, media_time = mark["number"], mark["media_time"]
            tag = str(mark.get("tag") or "")
            label = principle_label(mark)
            name = str(mark.get("clip") or numbered_name("clip", number))
            clip_file = ""
            if (source.directory / name).exists():
                minutes, seconds = divmod(int(media_time), 60)
                stem = f"clip-{number:02d}_{minutes:02d}m{seconds:02d}s_{_slug(tag)}"
                target = clips_dir / f"{stem}.mp4"
                if self._clip(source, name, work, target, outcome):
                    clip_file = f"clips/{target.name}"
                    outcome.clips.append(target)
            else:
                outcome.warnings.append(f"Mark {number} has no clip on the stick.")
            note = str(mark.get("note") or "")
            rows.append(MarkRow(number, media_time, label, note, clip_file, ""))
        return rows

    def _clip(
        self, source: SessionSource, name: str, work: Path, target: Path, outcome: SessionOutcome
    ) -> bool:
        got = self._media(source, name, work, outcome)
        if got is None:
            return False
        self._judge(source, got, outcome)
        if not got.plaintext_bytes:
            return False
        target.parent.mkdir(exist_ok=True)
        try:
            join_parts([got.path], target)
        except MediaUnreadable as exc:
            outcome.failures.append(f"{source.directory / name}: {exc.user_message()}")
            return False
        return True

    def _pictures(
        self, rows: list[MarkRow], folder: Path, outcome: SessionOutcome
    ) -> list[MarkRow]:
        if not rows or outcome.video is None:
            return rows
        self._progress.step(f"taking {len(rows)} picture(s) for the contact sheet")
        pictures = grab_frames(outcome.video, [r.media_time for r in rows], THUMB_WIDTH)
        thumbs = folder / "thumbs"
        thumbs.mkdir(exist_ok=True)
        named = []
        for row, picture in zip(rows, pictures, strict=True):
            thumbnail = ""
            if picture is not None:
                write_jpeg(thumbs / f"mark-{row.number:02d}.jpg", picture)
                thumbnail = f"thumbs/mark-{row.number:02d}.jpg"
            named.append(MarkRow(row.number, row.media_time, row.tag, row.note, row.clip_file,
                                 thumbnail))
        sheet = contact_sheet(
            pictures, [f"{r.number}  {clock_text(r.media_time)}" for r in rows]
        )
        if sheet is not None:
            write_jpeg(folder / SHEET_NAME, sheet)
        return named

    def _facts(
        self, source: SessionSource, metadata: dict[str, Any], outcome: SessionOutcome,
        start: float | None,
    ) -> list[tuple[str, str]]:
        facts = [("Session id", source.id)]
        if start is not None:
            facts.append(("Started", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(start))))
        if metadata.get("wall_clock_source"):
            facts.append(("Clock set from", str(metadata["wall_clock_source"])))
        if metadata.get("case_code"):
            facts.append(("Case code", str(metadata["case_code"])))
        facts.append(("Length", clock_text(outcome.duration_s)))
        state = source.manifest.state if source.manifest else "unknown (no manifest)"
        facts.append(("State", state))
        return facts
