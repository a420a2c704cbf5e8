"""The names under which personal data would travel, for the logs and the audit trail alike.

Both are plaintext outside the encryption (the journal on the SD card; the audit log on
the card and on every stick), so a field under one of these names never reaches them: the
logs replace its value with "[withheld]", the audit log refuses the entry. A phone's
address (`client`, `remote_addr`) counts: it can tell who was in the room. This module is a
leaf, like `errors`, so every box may import it.
"""

from __future__ import annotations

PERSONAL_FIELDS = frozenset(
    {
        "case",
        "case_code",
        "note",
        "notes",
        "comment",
        "name",
        "label",
        "person",
        "pin",
        "metadata",
        "remote_addr",
        "client",
    }
)


def is_personal(field_name: str) -> bool:
    """True when a value under `field_name` could carry personal data (any letter case)."""
    return field_name.lower() in PERSONAL_FIELDS
