"""Factory reset: erase the sessions, the panel PIN and the recipients, with evidence.

Order, so that a power cut at any point leaves a true record:
1. `factory_reset_started` is appended to the audit log and made durable BEFORE anything
   is erased (with the counts, and whether unexported sessions were forced away).
2. Each session is deleted through the vault (audited, `deleted` written first, so a cut
   mid-way is finished at the next start-up); then the sessions folder, recipients.txt and
   the panel's PIN hash and cookie key, its remembered phones and live logins are removed.
3. `factory_reset_wiped` is appended, closing the old chain.
4. The device's signing key is replaced by a new one, so laptops that trusted the old
   owner's device warn about the reset one. Then the audit log is REPLACED (atomically) by a
   new chain whose first entry, `factory_reset`, carries the old chain's head hash and
   length, the counts and the new key's fingerprint (`device_key`).

Why not keep the old log? It holds no personal data, but it does list every past
session id (when families were filmed) and the previous practitioner's key: a device
reset for a new owner should not hand that history on. Why not erase it without a trace?
A reviewer must be able to see that a reset happened, when, whether it destroyed
recordings nobody had exported (`forced`), and must be able to tie the new chain to the
old one: every export stick carries a copy of the old log, whose last entry hashes to
`previous_log_head`. A cut between steps 3 and 4 leaves the complete old log.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ApplianceError
from ..panel.login_guard import login_files
from ..panel.pin_store import panel_files
from ..vault.atomic_file import temp_path_for
from ..vault.audit import GENESIS, AuditLog, line_hash
from ..vault.device_key import DEVICE_KEY_FILE, create_device_key, fingerprint, public_key_bytes
from ..vault.recipients import RECIPIENTS_FILE
from ..vault.state import COMPLETE, INTERRUPTED, RECORDING
from ..vault.store import Vault

#: Sessions in these states exist nowhere else yet: erasing them loses the recording.
UNEXPORTED_STATES = frozenset({RECORDING, COMPLETE, INTERRUPTED})
RESET_REASON = "factory reset"


class ResetError(ApplianceError):
    code = "reset"


class UnexportedSessions(ResetError, RuntimeError):
    """Some sessions have not been exported, so a reset would destroy the only copy."""

    code = "reset_unexported_sessions"
    hint = "Export them to a USB stick first, or pass --force to destroy them."


@dataclass(frozen=True)
class ResetPlan:
    session_ids: tuple[str, ...]
    unexported_ids: tuple[str, ...]
    recipients: int
    panel_files: tuple[Path, ...]

    def describe(self) -> str:
        return (
            f"{len(self.session_ids)} session(s) ({len(self.unexported_ids)} not exported), "
            f"{self.recipients} recipient(s), "
            f"panel PIN {'set' if self.panel_files else 'not set'}"
        )


@dataclass(frozen=True)
class ResetReport:
    sessions_deleted: int
    unexported_deleted: int
    recipients_removed: int
    previous_log_entries: int


def plan_reset(vault: Vault) -> ResetPlan:
    sessions = vault.list_sessions()
    return ResetPlan(
        session_ids=tuple(s.id for s in sessions),
        unexported_ids=tuple(s.id for s in sessions if s.state in UNEXPORTED_STATES),
        recipients=len(vault.recipient_entries()),
        panel_files=tuple(p for p in panel_files(vault.data_dir) if p.exists()),
    )


def check_allowed(plan: ResetPlan, *, force: bool) -> None:
    if plan.unexported_ids and not force:
        raise UnexportedSessions(
            f"{len(plan.unexported_ids)} session(s) are not exported yet: "
            f"{', '.join(plan.unexported_ids)}."
        )


def factory_reset(
    vault: Vault, *, force: bool, wall_clock: Callable[[], float] = time.time
) -> ResetReport:
    """Erase as the module docstring says; refuses unexported sessions unless `force`."""
    plan = plan_reset(vault)
    check_allowed(plan, force=force)
    counts = {
        "sessions_deleted": len(plan.session_ids),
        "unexported_deleted": len(plan.unexported_ids),
        "recipients_removed": plan.recipients,
        "pin_removed": bool(plan.panel_files),
        "forced": force,
    }
    vault.audit.append("factory_reset_started", **counts)
    for session_id in plan.session_ids:
        vault.delete_session(session_id, reason=RESET_REASON)
    _wipe_files(vault)
    vault.audit.append("factory_reset_wiped", **counts)
    new_key = _replace_device_key(vault)
    previous_entries = _restart_audit_log(vault, wall_clock, {**counts, "device_key": new_key})
    return ResetReport(
        counts["sessions_deleted"], counts["unexported_deleted"], plan.recipients,
        previous_entries,
    )


def _wipe_files(vault: Vault) -> None:
    fs = vault.fs
    if vault.sessions_dir.exists():
        shutil.rmtree(vault.sessions_dir)  # only leftovers remain: every session is deleted
        fs.fsync_dir(vault.data_dir)
    wiped = (*panel_files(vault.data_dir), *login_files(vault.data_dir))
    for path in (vault.data_dir / RECIPIENTS_FILE, *wiped):
        # Temporaries a power cut left behind hold the same secrets (the PIN's hash).
        for candidate in (path, temp_path_for(path), path.with_name(path.name + ".tmp")):
            if candidate.exists():
                fs.unlink(candidate)
    fs.fsync_dir(vault.data_dir)


def _replace_device_key(vault: Vault) -> str:
    """A new owner's laptop must not take this device's exports for the old owner's.

    The new key replaces the old one atomically; its fingerprint goes into the new chain's
    first entry.
    """
    key = create_device_key(vault.data_dir / DEVICE_KEY_FILE, vault.fs)
    return fingerprint(public_key_bytes(key))


def _restart_audit_log(vault: Vault, wall_clock: Callable[[], float], counts: dict) -> int:
    """Replace the audit log by a new chain anchored to the old one's head."""
    old = vault.audit.path
    lines = old.read_bytes().splitlines()
    fresh = old.with_name(old.name + ".new")
    if fresh.exists():
        vault.fs.unlink(fresh)
    AuditLog(fresh, vault.fs, wall_clock).append(
        "factory_reset",
        previous_log_head=line_hash(lines[-1]) if lines else GENESIS,
        previous_log_entries=len(lines),
        **counts,
    )
    vault.fs.replace(fresh, old)
    vault.fs.fsync_dir(old.parent)
    return len(lines)
