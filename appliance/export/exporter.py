"""Copy finished sessions to a stick, prove every byte arrived, only then forget them.

The order is the promise: write (temp name, fsync, rename, fsync the folder), read back
from the stick with its cached pages dropped, compare with the hash the vault recorded when
the file was written, write the manifest and the device's signature of it (with the
audit chain's head, so a laptop can tell forged files and a cut log), check the stick is
still the one we wrote to, and only then delete the session from the SD card (an audited,
crypto-erasing delete).
Any doubt keeps the session. A stick pulled half-way leaves temporaries that the next
export removes; files that did arrive are recognised by their hash and not copied again.
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..vault.session_files import CONSENT_NOT_RECORDED, CONSENT_RECORDED
from ..vault.state import COMPLETE, EXPORTED, INTERRUPTED
from ..viewer import VIEWER_NAME, ViewerMissing, viewer_bytes, viewer_sha256
from .copier import SessionCopier, SourceUnreadable
from .errors import (
    AppliancePurgeFailed,
    ConflictingFile,
    ExportError,
    NotFatSafe,
    StickCommandFailed,
    StickFull,
    StickReadOnly,
    StickRemoved,
    StickWriteFailed,
    UnsafeStickEntry,
    VerifyFailed,
)
from .manifest import (
    AUDIT_COPY_PREFIX,
    AUDIT_COPY_SUFFIX,
    EXPORT_DIR_NAME,
    MANIFEST_NAME,
    README_NAME,
    Manifest,
    ManifestFile,
    ManifestInvalid,
)
from .plan import SESSION_OVERHEAD, PlannedSession, check_fat_file, check_fat_name, plan_sessions
from .plan import round_up as round_up_to_block
from .progress import (
    COPYING,
    DELETING,
    FINISHING,
    SAFE_TO_REMOVE,
    ProgressCallback,
    ProgressTracker,
)
from .signature import SIGNATURE_NAME, sign_manifest
from .stick import Stick
from .stickfs import StickDir, StickIO

if TYPE_CHECKING:
    from ..vault import SessionInfo, StoredFile, Vault

EXPORTABLE_STATES = frozenset({COMPLETE, INTERRUPTED, EXPORTED})
WRITE_PROBE = ".vig-write-probe"
DELETE_REASON = EXPORTED
#: Extra bytes an earlier manifest of the same session may carry (its device name, stamps):
#: a larger file is simply "different", and never read whole.
MANIFEST_SLACK = 4096
_SESSION_FAILURES = (
    ConflictingFile,
    UnsafeStickEntry,
    VerifyFailed,
    NotFatSafe,
    SourceUnreadable,
    AppliancePurgeFailed,
)


@dataclass
class ExportResult:
    stick: str
    exported: list[str] = field(default_factory=list)
    kept: list[tuple[str, ExportError]] = field(default_factory=list)
    left_for_space: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bytes_copied: int = 0
    safe_to_remove: bool = False

    @property
    def ok(self) -> bool:
        return not self.kept and not self.left_for_space

    def summary(self) -> str:
        lines = [f"{len(self.exported)} session(s) exported to {self.stick} and deleted here."]
        lines += [f"Kept {sid}: {err.user_message()}" for sid, err in self.kept]
        if self.left_for_space:
            lines.append(
                f"Not enough space on the stick for {len(self.left_for_space)} more session(s) "
                f"({', '.join(self.left_for_space)}): they stay here; export them to another stick."
            )
        lines += self.notes
        if self.safe_to_remove:
            lines.append("The stick is safe to remove.")
        return "\n".join(lines)


def readme_text() -> bytes:
    """The stick's README, naming the SHA-256 of the viewer this device writes beside it."""
    template = resources.files(__package__).joinpath(README_NAME).read_text("utf-8")
    try:
        digest = viewer_sha256()
    except ViewerMissing:
        digest = "(this appliance carries no viewer: ask your service's IT for the trusted copy)"
    return template.replace("{viewer_sha256}", digest).encode("utf-8")


def safe_device_name(name: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in name)
    return cleaned.strip("-")[:40] or "appliance"


class Exporter:
    """Exports every finished session of `vault` to one stick; see the module docstring.

    `progress` is called from the exporting thread and from its read-back thread, so it
    must be thread-safe (publishing on the controller's EventBus is). A stick-wide failure
    raises an ExportError whose `result` (when the export had begun) lists what was
    already exported and deleted; per-session problems are in `ExportResult.kept`.
    """

    def __init__(
        self,
        vault: Vault,
        *,
        device_name: str,
        io: StickIO | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._vault = vault
        self._device = safe_device_name(device_name)
        self._io = io or StickIO()
        self._wall_clock = wall_clock

    def export(self, stick: Stick, progress: ProgressCallback | None = None) -> ExportResult:
        """Export, verify and delete; raises an ExportError (with `.result`) if the stick fails."""
        tracker = ProgressTracker(progress)
        result = ExportResult(stick=stick.label)
        root_path = stick.mount()
        errors = self._stick_errors(stick, tracker)
        try:
            with errors, StickDir.open_root(root_path, self._io) as root:
                self._export_to(root, stick, tracker, result)
        except ExportError as exc:
            with contextlib.suppress(StickCommandFailed):
                stick.release()  # let go of (and on a Pi unmount) a stick that failed us
            raise exc.with_result(result) from exc
        tracker.enter(FINISHING)
        stick.release()
        result.safe_to_remove = True
        tracker.enter(SAFE_TO_REMOVE)
        return result

    def _export_to(
        self, root: StickDir, stick: Stick, tracker: ProgressTracker, result: ExportResult
    ) -> None:
        self._check_writable(root)
        with root.subdir(EXPORT_DIR_NAME, create=True) as export_dir:
            export_dir.sweep_temporaries()
            sessions = self._exportable_sessions(result)
            take = self._plan(sessions, export_dir, root, result)
            tracker.set_totals(
                2 * sum(f.size for s in take for f in s.files), sum(len(s.files) for s in take)
            )
            with self._noted(result):
                self._put_small(export_dir, README_NAME, readme_text(), result)
            with self._noted(result):
                self._put_viewer(export_dir, result)
            for info in take:
                try:
                    self._export_session(export_dir, info, stick, tracker, result)
                except _SESSION_FAILURES as exc:
                    result.kept.append((info.id, exc))
            with self._noted(result):
                self._put_audit_copy(export_dir, result)
            export_dir.fsync()
        root.fsync()

    def _put_viewer(self, export_dir: StickDir, result: ExportResult) -> None:
        """Every stick gets the viewer; a device without one still exports, and says so."""
        try:
            content = viewer_bytes()
        except ViewerMissing as exc:
            result.notes.append(exc.user_message())
            return
        self._put_small(export_dir, VIEWER_NAME, content, result)

    @contextlib.contextmanager
    def _noted(self, result: ExportResult) -> Iterator[None]:
        """The README and the audit copy are helpful, not precious: a trap there is noted."""
        try:
            yield
        except (UnsafeStickEntry, ConflictingFile) as exc:
            result.notes.append(exc.user_message())

    @contextlib.contextmanager
    def _stick_errors(self, stick: Stick, tracker: ProgressTracker) -> Iterator[None]:
        """Turn the stick's OS errors into plain ones; a vanished stick is named as such."""
        try:
            yield
        except ExportError:
            raise
        except OSError as exc:
            where = f" (while working on session {tracker.session})" if tracker.session else ""
            if not stick.is_present():
                raise StickRemoved(f"The USB stick {stick.label} went away{where}.") from exc
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise StickFull(f"The USB stick {stick.label} is full{where}.") from exc
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StickReadOnly(f"The USB stick {stick.label} refuses writes{where}.") from exc
            if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENODEV, errno.ENXIO):
                raise StickRemoved(f"The USB stick {stick.label} went away{where}.") from exc
            raise StickWriteFailed(
                f"The USB stick {stick.label} failed{where}: {exc.strerror or exc}."
            ) from exc

    def _check_writable(self, root: StickDir) -> None:
        written = root.write_file(WRITE_PROBE, iter([b"vig", b""]).__next__, lambda n: None)
        root.remove_file(WRITE_PROBE)
        if written != 3:
            raise StickWriteFailed("The USB stick did not take a small test file.")

    def _exportable_sessions(self, result: ExportResult) -> list[SessionInfo]:
        sessions = [s for s in self._vault.list_sessions() if s.state in EXPORTABLE_STATES]
        sessions.sort(key=lambda s: (s.started_at, s.id))
        fit = []
        for info in sessions:
            try:
                check_fat_name(info.id)
                for f in info.files:
                    check_fat_file(f.name, f.size)
                    _recorded_hash(info.id, f)
            except (NotFatSafe, VerifyFailed) as exc:
                result.kept.append((info.id, exc))
                continue
            fit.append(info)
        return fit

    def _plan(
        self,
        sessions: list[SessionInfo],
        export_dir: StickDir,
        root: StickDir,
        result: ExportResult,
    ) -> list[SessionInfo]:
        free, block = root.space()
        planned = [
            PlannedSession(s.id, self._bytes_needed(s, export_dir, block)) for s in sessions
        ]
        plan = plan_sessions(planned, free)
        result.left_for_space.extend(p.session_id for p in plan.left_for_space)
        chosen = {p.session_id for p in plan.take}
        return [s for s in sessions if s.id in chosen]

    def _bytes_needed(self, info: SessionInfo, export_dir: StickDir, block: int) -> int:
        """Space still needed: files already on the stick with the right size are not counted."""
        present: dict[str, int] = {}
        with contextlib.suppress(UnsafeStickEntry):
            existing = export_dir.subdir(info.id, create=False)
            if existing is not None:
                with existing:
                    for name in existing.names():
                        st = existing.lstat(name)
                        if st is not None:
                            present[name] = st.st_size
        missing = [f.size for f in info.files if present.get(f.name) != f.size]
        return sum(round_up_to_block(size, block) for size in missing) + SESSION_OVERHEAD

    def _export_session(
        self,
        export_dir: StickDir,
        info: SessionInfo,
        stick: Stick,
        tracker: ProgressTracker,
        result: ExportResult,
    ) -> None:
        source_dir = Path(info.directory)
        tracker.enter(COPYING, info.id)
        with export_dir.subdir(info.id, create=True) as session_dir:
            result.bytes_copied += SessionCopier(session_dir, source_dir, tracker).copy(info.files)
            self._put_signed_manifest(session_dir, self._manifest(info))
            session_dir.fsync()
        export_dir.fsync()
        if not stick.is_present():
            raise StickRemoved(f"The USB stick {stick.label} went away before {info.id} was done.")
        tracker.enter(DELETING, info.id)
        self._forget(info, stick)
        result.exported.append(info.id)

    def _put_small(
        self, directory: StickDir, name: str, content: bytes, result: ExportResult
    ) -> None:
        """Write a small file, unless one is there: an equal one is fine, another is noted."""
        if directory.regular_file(name) is not None:
            if directory.read_small(name, len(content)) != content:
                result.notes.append(f"{directory.describe(name)} on the stick was left as it was.")
            return
        self._write_small(directory, name, content)

    def _write_small(self, directory: StickDir, name: str, content: bytes) -> None:
        directory.write_file(name, iter([content, b""]).__next__, lambda n: None)
        back = directory.read_back(name, lambda n: None)
        if back.size != len(content):
            raise VerifyFailed(f"{directory.describe(name)} reads back differently.")

    def _put_signed_manifest(self, directory: StickDir, manifest: Manifest) -> None:
        """Write the manifest and the device's signature of exactly those bytes.

        A manifest already there for other files is a conflict (the session stays here).
        One for the same files (an earlier export of this session that stopped before the
        deletion) is replaced by ours: only bytes this device wrote are ever signed.
        """
        content = manifest.to_json()
        if directory.regular_file(MANIFEST_NAME) is not None:
            current = directory.read_small(MANIFEST_NAME, len(content) + MANIFEST_SLACK)
            if current is None or not _same_manifest(current, manifest, directory):
                raise ConflictingFile(
                    f"{directory.describe(MANIFEST_NAME)} already exists on the stick with "
                    "different content."
                )
        directory.regular_file(SIGNATURE_NAME)  # refuses a link or folder planted there
        self._write_small(directory, MANIFEST_NAME, content)
        self._write_small(
            directory, SIGNATURE_NAME, sign_manifest(content, self._vault.device_key())
        )

    def _put_audit_copy(self, export_dir: StickDir, result: ExportResult) -> None:
        """Copy the audit log; an older copy from this device is a prefix, so it is extended."""
        path = Path(self._vault.audit.path)
        log_bytes = path.read_bytes() if path.exists() else b""
        name = f"{AUDIT_COPY_PREFIX}{self._device}{AUDIT_COPY_SUFFIX}"
        if export_dir.regular_file(name) is not None:
            current = export_dir.read_small(name, len(log_bytes))
            if current == log_bytes:
                return
            if current is None or not log_bytes.startswith(current):
                stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self._wall_clock()))
                name = f"{AUDIT_COPY_PREFIX}{self._device}-{stamp}{AUDIT_COPY_SUFFIX}"
                result.notes.append(
                    f"An audit copy on the stick did not match this appliance; wrote {name}."
                )
        export_dir.write_file(name, iter([log_bytes, b""]).__next__, lambda n: None)

    def _manifest(self, info: SessionInfo) -> Manifest:
        head = self._vault.audit.head()
        return Manifest(
            session_id=info.id,
            state=_finished_state(info),
            device=self._device,
            exported_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._wall_clock())),
            files=tuple(
                ManifestFile(f.name, f.size, _recorded_hash(info.id, f), bool(f.complete))
                for f in info.files
            ),
            started_at=info.started_at,
            duration_s=info.duration_s,
            mark_count=info.mark_count,
            audit_entries=head.entries,
            audit_head=head.sha256,
            consent=CONSENT_RECORDED if info.consent_recorded else CONSENT_NOT_RECORDED,
        )

    def _forget(self, info: SessionInfo, stick: Stick) -> None:
        """The session is on the stick, verified: record it, then delete it from the SD card.

        A failure here is the appliance's own storage, not the stick's, and says so.
        """
        hashes = ";".join(f"{f.name}={f.sha256}" for f in info.files)
        try:
            self._vault.mark_exported(info.id, destination="usb stick")
            self._vault.audit.append(
                "session_exported_and_deleted", session=info.id, files=hashes
            )
            self._vault.delete_session(info.id, reason=DELETE_REASON)
        except OSError as exc:
            raise AppliancePurgeFailed(
                f"Session {info.id} is verified on the stick, but deleting it here failed: "
                f"{exc.strerror or exc}."
            ) from exc


def _recorded_hash(session_id: str, file: StoredFile) -> str:
    """The hash the vault recorded for the file: without one, it cannot be verified."""
    if not file.sha256:
        raise VerifyFailed(
            f"The appliance has no hash for {session_id}/{file.name}, so it cannot be "
            "verified on the stick."
        )
    return file.sha256


def _finished_state(info: SessionInfo) -> str:
    """How the recording ended (an `exported` session that is being re-exported keeps it)."""
    if info.state in (COMPLETE, INTERRUPTED):
        return info.state
    return COMPLETE if all(f.complete for f in info.files) else INTERRUPTED


def _same_manifest(current: bytes, manifest: Manifest, directory: StickDir) -> bool:
    try:
        existing = Manifest.from_json(current, directory.describe(MANIFEST_NAME))
    except ManifestInvalid:
        return False
    return existing.same_session_files(manifest)
