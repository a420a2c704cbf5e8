"""The Vault: the encrypted session store in the data dir (see DESIGN.md "On the SD card").

It composes the parts of this box: recipients, free space, sessions and their recovery,
the audit log. Everything it writes goes through one file layer (`fs`), so a test can pull
the power at any operation, and every path hangs off the data dir it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import RecordingConfig, StorageConfig
from .age import CHUNK_SIZE, Recipient
from .audit import AuditLog
from .device_key import (
    DEVICE_KEY_FILE,
    create_device_key,
    fingerprint,
    public_key_bytes,
    read_device_key,
)
from .errors import (
    ConsentClosed,
    NoFreeSessionId,
    NoRecipient,
    SessionClosed,
    UnknownSession,
    storage_errors,
)
from .filesystem import FileSystem, OsFileSystem, make_dirs_durably
from .recipients import RECIPIENTS_FILE, EnrolledRecipient, RecipientsFile
from .recovery import DELETION_STARTED, recover_session, remove_session_directory
from .session import SessionWriter, write_consent_file
from .session_id import is_session_id, new_session_id
from .session_info import SessionInfo, session_info
from .space import FreeSpace, SpaceMeter
from .state import DELETED, EXPORTED, RECORDING, STATE_FILE, SessionState, read_state, write_state

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SESSIONS_DIR = "sessions"
AUDIT_FILE = "audit.log"
ID_ATTEMPTS = 16
#: Audited when a session has been verified on a stick, just before it is deleted here.
EXPORTED_EVENT = "session_exported"


class Vault:
    def __init__(
        self,
        data_dir: Path,
        storage: StorageConfig,
        recording: RecordingConfig,
        *,
        fs: FileSystem | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.sessions_dir = self.data_dir / SESSIONS_DIR
        self.fs = fs if fs is not None else OsFileSystem()
        self._recording = recording
        self._wall_clock = wall_clock
        self.audit = AuditLog(self.data_dir / AUDIT_FILE, self.fs, wall_clock)
        self._recipients = RecipientsFile(self.data_dir / RECIPIENTS_FILE, self.fs)
        self._space = SpaceMeter(self.data_dir, self.fs, storage, recording, CHUNK_SIZE)

    # --- recipients ------------------------------------------------------------------

    def recipients(self) -> list[Recipient]:
        return self._recipients.recipients()

    def recipient_entries(self) -> list[EnrolledRecipient]:
        return self._recipients.entries()

    def add_recipient(self, text: str, comment: str = "") -> tuple[EnrolledRecipient, bool]:
        """Enrol a public key; returns the entry and whether it was new."""
        self._ensure_data_dir()
        entry, added = self._recipients.add(text, comment)
        if added:
            self.audit.append("recipient_added", recipient=entry.text)
        return entry, added

    def remove_recipient(self, text: str) -> EnrolledRecipient:
        entry = self._recipients.remove(text)
        self.audit.append("recipient_removed", recipient=entry.text)
        return entry

    # --- the device's signing key -------------------------------------------------------

    def device_key(self) -> Ed25519PrivateKey:
        """The key that signs export manifests; made (and audited) the first time it is asked.

        The service asks at start-up, so the key exists from the first start on. A key file
        that is not a key (damaged) is replaced, audited: a laptop will then warn loudly.
        """
        path = self.data_dir / DEVICE_KEY_FILE
        key = read_device_key(path)
        if key is None:
            replaced = path.exists()
            self._ensure_data_dir()
            key = create_device_key(path, self.fs)
            self.audit.append(
                "device_key_replaced_unreadable" if replaced else "device_key_created",
                fingerprint=fingerprint(public_key_bytes(key)),
            )
        return key

    # --- space -----------------------------------------------------------------------

    def free_space(self) -> FreeSpace:
        return self._space.free_space()

    def at_reserve(self) -> bool:
        return self._space.at_reserve()

    def check_can_start(self) -> None:
        """Refuse to start a session nobody could open, or one the card cannot hold."""
        if not self.recipients():
            raise NoRecipient("no recipient is enrolled, so nobody could open a recording")
        self._space.check_can_start()

    # --- sessions --------------------------------------------------------------------

    def create_session(self, metadata: dict) -> SessionWriter:
        """Start a session: its directory, state.json and session.json.age, audited."""
        self.check_can_start()
        recipients = self.recipients()
        started_at = self._wall_clock()
        with storage_errors("a new session directory"):
            make_dirs_durably(self.fs, self.sessions_dir)
            directory = self._new_session_directory(started_at)
            self.fs.fsync_dir(self.sessions_dir)
        state = SessionState(directory.name, RECORDING, started_at)
        write_state(self.fs, directory, state)
        writer = SessionWriter(
            state,
            directory,
            fs=self.fs,
            recipients=recipients,
            recording=self._recording,
            audit=self.audit,
            space=self._space,
            wall_clock=self._wall_clock,
        )
        writer.update_metadata(metadata)
        self.audit.append("session_started", session=state.id, recipients=len(recipients))
        return writer

    def _new_session_directory(self, started_at: float) -> Path:
        for _ in range(ID_ATTEMPTS):
            directory = self.sessions_dir / new_session_id(started_at)
            try:
                self.fs.mkdir(directory)
            except FileExistsError:
                continue
            return directory
        raise NoFreeSessionId(f"no free session id for {started_at} after {ID_ATTEMPTS} tries")

    def recover_interrupted(self) -> list[str]:
        """At start-up: sessions found `recording` become `interrupted` (and stay exportable).

        Also records files state.json missed, finishes deletions a power cut stopped,
        removes leftover temporary files and drops an audit entry the cut left half-written.
        Returns the ids that became interrupted.
        """
        self.audit.discard_torn_entry()
        if not self.sessions_dir.is_dir():
            return []
        directories = [
            d for d in sorted(self.sessions_dir.iterdir()) if d.is_dir() and is_session_id(d.name)
        ]
        return [d.name for d in directories if recover_session(self.fs, d, self.audit)]

    def list_sessions(self) -> list[SessionInfo]:
        if not self.sessions_dir.is_dir():
            return []
        infos = []
        for directory in sorted(self.sessions_dir.iterdir()):
            if not (is_session_id(directory.name) and (directory / STATE_FILE).exists()):
                continue
            state = read_state(directory)
            if state.state != DELETED:
                infos.append(session_info(state, directory, self._wall_clock()))
        return infos

    def session(self, session_id: str) -> SessionInfo:
        return session_info(self._read(session_id), self._directory(session_id), self._wall_clock())

    def delete_session(self, session_id: str, reason: str) -> None:
        """Remove the session's files and directory for good, audited with `reason`.

        The intent is audited, then `deleted` is written, so a power cut in the middle is
        finished at start-up; recovery carries out only deletions the audit chain records.
        """
        state = self._read(session_id)
        directory = self._directory(session_id)
        state.move_to(DELETED)
        self.audit.append(DELETION_STARTED, session=session_id, reason=reason)
        write_state(self.fs, directory, state)
        with storage_errors(f"the deletion of session {session_id}"):
            files = remove_session_directory(self.fs, directory)
        self.audit.append("session_deleted", session=session_id, reason=reason, files=files)

    def write_consent(self, session_id: str, document: dict) -> bool:
        """Write (or replace) a finished session's consent record; True if it replaced one.

        The device cannot read what it recorded, so the record is encrypted to the
        recipients enrolled now. It may change until the session is exported: what went to
        a stick is the record the laptop shows, and the device keeps no copy to change.
        """
        try:
            state = self._read(session_id)
        except UnknownSession:
            if self.audit.mentions(EXPORTED_EVENT, session_id):
                raise ConsentClosed(
                    f"Session {session_id} was exported to a USB stick and deleted here, so "
                    "its consent record can no longer be changed on this device."
                ) from None
            raise
        if state.state == EXPORTED:
            raise ConsentClosed(
                f"Session {session_id} has been exported to a USB stick, so its consent "
                "record can no longer be changed on this device."
            )
        if state.state == RECORDING:
            raise SessionClosed(f"session {session_id} is still being written by its recorder")
        recipients = self.recipients()
        if not recipients:
            raise NoRecipient("no recipient is enrolled, so nobody could open the consent record")
        return write_consent_file(
            self.fs, self._directory(session_id), state, document, recipients, self.audit
        )

    def mark_exported(self, session_id: str, destination: str) -> None:
        state = self._read(session_id)
        state.move_to(EXPORTED)
        state.exports.append({"destination": destination, "at": self._wall_clock()})
        write_state(self.fs, self._directory(session_id), state)
        self.audit.append(EXPORTED_EVENT, session=session_id, destination=destination)

    def _directory(self, session_id: str) -> Path:
        directory = self.sessions_dir / session_id
        if not is_session_id(session_id) or not (directory / STATE_FILE).exists():
            raise UnknownSession(f"there is no session {session_id!r}")
        return directory

    def _read(self, session_id: str) -> SessionState:
        state = read_state(self._directory(session_id))
        if state.state == DELETED:
            raise UnknownSession(f"session {session_id} has been deleted")
        return state

    def _ensure_data_dir(self) -> None:
        make_dirs_durably(self.fs, self.data_dir)
