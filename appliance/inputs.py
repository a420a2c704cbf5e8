"""Checks on what a person types or taps, shared by every front end through the controller.

A case code must never carry a name (it is stored encrypted, but it is also shown on the
panel), so it is limited to a short code; a mark's tag is one of the six VIG principles.
"""

from __future__ import annotations

import re

from .controller_errors import InvalidInput
from .tags import MARK_TAGS, MAX_NOTE_LENGTH

CASE_CODE = re.compile(r"[A-Za-z0-9-]{1,16}")


def validate_case_code(case_code: str | None) -> str | None:
    if case_code in (None, ""):
        return None
    if not isinstance(case_code, str) or not CASE_CODE.fullmatch(case_code):
        raise InvalidInput(
            "The case code may use only letters, digits and '-', at most 16 characters "
            "(and must never be a name)."
        )
    return case_code


def validate_mark(tag: str | None, note: str | None) -> tuple[str | None, str | None]:
    if tag in (None, ""):
        tag = None
    elif tag not in MARK_TAGS:
        raise InvalidInput(f"Unknown tag {tag!r}: use one of {', '.join(MARK_TAGS)}.")
    if note in (None, ""):
        note = None
    elif not isinstance(note, str):
        raise InvalidInput("The note must be text.")
    elif len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"The note is {len(note)} characters; at most {MAX_NOTE_LENGTH}.")
    return tag, note
