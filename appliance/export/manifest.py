"""The stick's layout and the per-session MANIFEST.json, shared by the exporter and vig-unpack.

The manifest lets a laptop check every ciphertext file before decrypting anything (a stick
can rot, a copy can be cut short), and tells which sessions ended interrupted. It holds no
personal data: ids, sizes, hashes of ciphertext, the state and where/when it was exported.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from ..vault.session_files import CONSENT_NOT_RECORDED, CONSENT_RECORDED
from .errors import ExportError

EXPORT_DIR_NAME = "VIG-EXPORT"
MANIFEST_NAME = "MANIFEST.json"
README_NAME = "README.txt"
MANIFEST_FORMAT = "vig-export-manifest/1"
#: The device's audit log on the stick: audit-<device>.log, and audit-<device>-<stamp>.log
#: when the stick's copy did not match the device's log.
AUDIT_COPY_PREFIX = "audit-"
AUDIT_COPY_SUFFIX = ".log"
#: No manifest the appliance writes comes near this; a larger one is not read at all.
MANIFEST_MAX_BYTES = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestInvalid(ExportError, ValueError):
    """A MANIFEST.json on the stick cannot be read."""

    code = "export.manifest_invalid"
    hint = "The manifest was damaged; the files may still open with age -d."


@dataclass(frozen=True)
class ManifestFile:
    name: str
    size: int
    sha256: str
    #: False for a file the recording never finished (a power cut): age reports its end
    #: missing, and everything before it decrypts.
    complete: bool = True


@dataclass(frozen=True)
class Manifest:
    session_id: str
    state: str
    device: str
    exported_at: str
    files: tuple[ManifestFile, ...]
    started_at: float | None = None
    duration_s: float | None = None
    mark_count: int | None = None
    #: The device's audit chain at export time: its number of entries and the sha256 of
    #: the last one (see appliance/vault/audit.py). Signed with the manifest, so a log cut
    #: or rewritten since shows on the laptop.
    audit_entries: int | None = None
    audit_head: str | None = None
    #: Whether the family's consent record went with the session ("recorded", and then
    #: consent.json.age is among `files`) or "not recorded"; None in manifests from before.
    consent: str | None = None
    format: str = field(default=MANIFEST_FORMAT)

    def to_json(self) -> bytes:
        data = asdict(self)
        data["files"] = [asdict(f) for f in self.files]
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("ascii")

    def same_session_files(self, other: Manifest) -> bool:
        """Same session and same ciphertext: re-exporting it again changes nothing."""
        return (self.session_id, self.state, self.files) == (
            other.session_id,
            other.state,
            other.files,
        )

    @classmethod
    def from_json(cls, raw: bytes, where: str) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"unknown format {data.get('format')!r}")
            files = tuple(
                ManifestFile(
                    str(f["name"]), int(f["size"]), str(f["sha256"]), bool(f.get("complete", True))
                )
                for f in data["files"]
            )
            if any(not _SHA256.match(f.sha256) or f.size < 0 for f in files):
                raise ValueError("a file entry has a bad size or hash")
            return cls(
                session_id=str(data["session_id"]),
                state=str(data["state"]),
                device=str(data.get("device", "")),
                exported_at=str(data.get("exported_at", "")),
                files=files,
                started_at=data.get("started_at"),
                duration_s=data.get("duration_s"),
                mark_count=data.get("mark_count"),
                audit_entries=_optional_int(data.get("audit_entries")),
                audit_head=_optional_sha256(data.get("audit_head")),
                consent=_optional_consent(data.get("consent")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestInvalid(f"{where} cannot be read: {exc}.") from exc


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("the audit entry count is not a count")
    return value


def _optional_consent(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in (CONSENT_RECORDED, CONSENT_NOT_RECORDED):
        return value
    raise ValueError("the consent entry is neither recorded nor not recorded")


def _optional_sha256(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.match(value):
        raise ValueError("the audit head is not a sha256")
    return value
