"""Checks on what a person types or taps, shared by every front end through the controller.

A case code must never carry a name (it is stored encrypted, but it is also shown on the
panel), so it is limited to a short code; a mark's tag is one of the six VIG principles.
"""

from __future__ import annotations

import re

from ..tags import MARK_TAGS, MAX_NOTE_LENGTH
from .errors import InvalidInput

CASE_CODE = re.compile(r"[A-Za-z0-9-]{1,16}")
#: Half of a UTF-16 surrogate pair on its own: no character, and nothing UTF-8 can store.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"
#: More marks than any session can hold (one a second for a day): a bigger number is a typo.
MAX_MARKS = 99_999


def validate_case_code(case_code: object) -> str | None:
    if case_code is None or case_code == "":
        return None
    if not isinstance(case_code, str) or not CASE_CODE.fullmatch(case_code):
        raise InvalidInput(
            "The case code may use only letters, digits and '-', at most 16 characters "
            "(and must never be a name)."
        )
    return case_code


def validate_tag(tag: object) -> str | None:
    """One of the six slugs, or None. The refusal does not echo what was sent."""
    if tag is None or tag == "":
        return None
    if not isinstance(tag, str) or tag not in MARK_TAGS:
        raise InvalidInput("Unknown tag: choose one of the six principles or none.")
    return tag


def validate_note(note: object) -> str | None:
    """The note as stored. Half an emoji (a lone surrogate, as a phone's length limit can
    leave when it cuts a note) becomes U+FFFD rather than losing the mark with its note."""
    if note is None:
        return None
    if not isinstance(note, str):
        raise InvalidInput("The note must be text.")
    note = LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, note).strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"The note is too long: at most {MAX_NOTE_LENGTH} characters.")
    return note or None


def validate_mark_number(number: object) -> int:
    """A mark's number: a whole number from 1 (never a bool)."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_MARKS:
        raise InvalidInput("That is not a mark number: marks are numbered 1, 2, 3 …")
    return number


def validate_mark(tag: object, note: object) -> tuple[str | None, str | None]:
    return validate_tag(tag), validate_note(note)
