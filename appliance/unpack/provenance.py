"""Whether each session on the stick is what a device the practitioner trusts exported.

Three checks, each naming what it finds in plain words:
- the device's signature over MANIFEST.json, against the keys accepted on this laptop
  (devices.py): a new device is trusted on first use with a warning, a changed key for a
  known device makes the session untrusted;
- every file in the session folder is in the signed manifest (an extra file was added
  after the export and is not used; a missing or changed one is named by the file check);
- the audit head each manifest signs is still in the device's audit log copy on the stick.
  Later heads of one key extend earlier ones, so a log the device cut or rewrote since an
  earlier export (a session removed together with its audit entries) no longer holds the
  head signed back then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..export.manifest import AUDIT_COPY_PREFIX, AUDIT_COPY_SUFFIX, MANIFEST_NAME
from ..export.signature import (
    SIGNATURE_MAX_BYTES,
    SIGNATURE_NAME,
    SignatureInvalid,
    VerifiedSignature,
    verify_manifest,
)
from ..vault.audit import GENESIS, chained_line_hashes
from .devices import CHANGED, NEW, AcceptedDevices
from .source import SessionSource

#: Years of audit entries; a larger copy is not read (and the heads it should hold fail).
AUDIT_COPY_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _SignedHead:
    session: SessionSource
    entries: int
    sha256: str


def check_provenance(
    sessions: list[SessionSource], devices: AcceptedDevices, *,
    wall_clock: Callable[[], float] = time.time,
) -> list[str]:
    """Record in each session's `untrusted` what is wrong; returns warnings for the user."""
    warnings: list[str] = []
    heads: dict[tuple[str, bytes], list[_SignedHead]] = {}
    for session in sessions:
        _check_extra_files(session)
        signed = _check_signature(session)
        if signed is None or session.manifest is None:
            continue
        device = session.manifest.device
        verdict = devices.judge(device, signed.public_key)
        if verdict == NEW:
            devices.accept(device, signed.public_key, wall_clock())
            warnings.append(
                f"First export seen from device {device!r} (key {signed.fingerprint}). It is "
                f"now trusted on this laptop ({devices.path}). If you did not expect a new "
                "device, check that fingerprint on the device (vig-appliance device-key)."
            )
        elif verdict == CHANGED:
            accepted = devices.accepted(device)
            assert accepted is not None
            session.untrusted.append(
                f"UNTRUSTED: session {session.id} is signed by a DIFFERENT key for device "
                f"{device!r} ({signed.fingerprint}) than the one accepted on "
                f"{accepted.accepted_at} ({accepted.fingerprint}). Someone else may have made "
                f"it. If the device was factory reset, remove {device!r} from {devices.path} "
                "and run again."
            )
            continue
        if session.manifest.audit_entries is not None and session.manifest.audit_head:
            heads.setdefault((device, signed.public_key), []).append(
                _SignedHead(session, session.manifest.audit_entries, session.manifest.audit_head)
            )
    for (device, _), signed_heads in heads.items():
        _check_audit_heads(device, signed_heads)
    return warnings


def _check_signature(session: SessionSource) -> VerifiedSignature | None:
    if session.manifest is None or session.manifest_bytes is None:
        session.untrusted.append(
            f"UNTRUSTED: {session.directory} has no readable MANIFEST.json signed by the "
            "device, so nothing shows its files came from a VIG device."
        )
        return None
    path = session.directory / SIGNATURE_NAME
    try:
        if path.stat().st_size > SIGNATURE_MAX_BYTES:
            raise SignatureInvalid(f"{SIGNATURE_NAME} is too large to be a signature.")
        return verify_manifest(session.manifest_bytes, path.read_bytes())
    except FileNotFoundError:
        problem = (
            f"{SIGNATURE_NAME} is missing, so nothing shows its files came from a VIG device "
            "(anyone with your public key can make files that decrypt)"
        )
    except SignatureInvalid as exc:
        problem = str(exc).rstrip(".")
    except OSError as exc:
        problem = f"{SIGNATURE_NAME} cannot be read ({exc.strerror or exc})"
    session.untrusted.append(f"UNTRUSTED: session {session.id}: {problem}.")
    return None


def _check_extra_files(session: SessionSource) -> None:
    if session.manifest is None:
        return
    listed = {f.name for f in session.manifest.files} | {MANIFEST_NAME, SIGNATURE_NAME}
    for path in sorted(session.directory.iterdir()):
        # A laptop's own hidden files (.DS_Store, ._ AppleDouble) are not the device's to
        # vouch for; nothing outside the manifest is ever used, hidden or not.
        if path.name not in listed and not path.name.startswith("."):
            session.untrusted.append(
                f"{path} is not in the signed manifest: it was added after the export "
                "(forged?) and was not used."
            )


def _audit_copies(export_dir: Path, device: str) -> list[tuple[Path, list[str]]]:
    names = sorted(
        {*export_dir.glob(f"{AUDIT_COPY_PREFIX}{device}{AUDIT_COPY_SUFFIX}"),
         *export_dir.glob(f"{AUDIT_COPY_PREFIX}{device}-*{AUDIT_COPY_SUFFIX}")}
    )
    copies = []
    for path in names:
        try:
            if path.stat().st_size > AUDIT_COPY_MAX_BYTES:
                continue
            copies.append((path, chained_line_hashes(path.read_bytes())))
        except OSError:
            continue
    return copies


def _holds(hashes: list[str], head: _SignedHead) -> bool:
    if head.entries == 0:
        return head.sha256 == GENESIS
    return len(hashes) >= head.entries and hashes[head.entries - 1] == head.sha256


def _check_audit_heads(device: str, heads: list[_SignedHead]) -> None:
    export_dir = heads[0].session.directory.parent
    copies = _audit_copies(export_dir, device)
    latest = max(heads, key=lambda h: h.entries)
    latest_copies = [hashes for _, hashes in copies if _holds(hashes, latest)]
    for head in heads:
        if not any(_holds(hashes, head) for _, hashes in copies):
            head.session.untrusted.append(
                f"UNTRUSTED: no audit log copy of device {device!r} on the stick holds the "
                f"audit entry the device signed for session {head.session.id} (entry "
                f"{head.entries}): the log was cut, changed or removed since."
            )
        elif latest_copies and not any(_holds(hashes, head) for hashes in latest_copies):
            head.session.untrusted.append(
                f"UNTRUSTED: the audit log of device {device!r} was cut or rewritten after "
                f"session {head.session.id} was exported: the log signed at the later export "
                f"of {latest.session.id} no longer holds entry {head.entries}. A session may "
                "have been removed from the device without trace."
            )
