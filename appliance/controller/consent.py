"""The family's consent, as the practitioner records it on the panel (DESIGN.md "Consent and
retention").

What is recorded is what services' VIG consent forms ask: filming; showing clips in
supervision or training; stills or clips for the family; and the date by which every copy
must be deleted, by default the end of the case's involvement plus two months. No names:
the record takes these fields and refuses any other, so nothing else can ride along.

The default date is worked out only from a date the device believes (its clock set from a
phone, or its own battery-backed clock); with a clock that may still be at whatever date a
power cut left, the practitioner must give the date.
"""

from __future__ import annotations

import calendar
import datetime
import re
import time
from dataclasses import dataclass
from typing import Any

from .errors import ConsentDateNeeded, InvalidInput

#: Where a wall-clock time comes from that the device believes.
TRUSTED_TIME_SOURCES = frozenset({"phone", "rtc"})
#: "Deleted within two months of the end of the involvement", as UK VIG consent forms say.
RETENTION_MONTHS = 2
CONSENT_FORMAT = "vig-consent/1"
ANSWERS = {
    "filming": "filming",
    "training": "showing clips in supervision or training",
    "family_copy": "stills or clips for the family",
}
DATES = {"delete_by": "the delete-by date", "involvement_ends": "the end of the involvement"}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_DATE = datetime.date(2024, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
GIVEN = "given"
FROM_INVOLVEMENT = f"end of involvement + {RETENTION_MONTHS} months"


@dataclass(frozen=True)
class Consent:
    """What the family agreed to, as given; `delete_by` None means "work it out"."""

    filming: bool
    training: bool
    family_copy: bool
    delete_by: datetime.date | None = None
    involvement_ends: datetime.date | None = None


def validate_consent(fields: object) -> Consent:
    """The record from what a front end sent; refused in plain words, never echoed."""
    if not isinstance(fields, dict):
        raise InvalidInput("The consent record must be a set of yes/no answers and dates.")
    unknown = set(fields) - set(ANSWERS) - set(DATES)
    if unknown:
        raise InvalidInput(
            "The consent record holds only the three yes/no answers and two dates "
            "(never a name); something else was sent."
        )
    return Consent(
        filming=_answer(fields, "filming"),
        training=_answer(fields, "training"),
        family_copy=_answer(fields, "family_copy"),
        delete_by=_date(fields.get("delete_by"), DATES["delete_by"]),
        involvement_ends=_date(fields.get("involvement_ends"), DATES["involvement_ends"]),
    )


def _answer(fields: dict, key: str) -> bool:
    value = fields.get(key)
    if not isinstance(value, bool):
        raise InvalidInput(f"Say whether the family agreed to {ANSWERS[key]}: yes or no.")
    return value


def _date(value: object, words: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise InvalidInput(f"Give {words} as a date (year-month-day).")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{words.capitalize()} is not a real date.") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidInput(f"{words.capitalize()} is not a plausible date: check the year.")
    return day


def plus_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day where it is shorter (31 Dec + 2
    months is the end of February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def trusted_today(wall_clock: float, time_source: str) -> datetime.date | None:
    """Today's date (UTC) if the device's clock is believed, else None."""
    if time_source not in TRUSTED_TIME_SOURCES:
        return None
    return datetime.datetime.fromtimestamp(wall_clock, datetime.UTC).date()


def default_dates(today: datetime.date | None) -> dict[str, str] | None:
    """What the panel offers to confirm: the involvement ending today, and its delete-by
    date; None when the device's clock is not believed (the panel asks instead)."""
    if today is None:
        return None
    return {
        "involvement_ends": today.isoformat(),
        "delete_by": plus_months(today, RETENTION_MONTHS).isoformat(),
    }


def consent_document(
    consent: Consent, *, today: datetime.date | None, wall_clock: float, time_source: str
) -> dict[str, Any]:
    """The record as stored (consent.json.age), with its delete-by date settled."""
    involvement_ends = consent.involvement_ends
    if consent.delete_by is not None:
        delete_by, rule = consent.delete_by, GIVEN
    else:
        involvement_ends = involvement_ends or today
        if involvement_ends is None:
            raise ConsentDateNeeded(
                "This device's clock was not set from a phone or its own clock, so it cannot "
                "work out the date by which every copy must be deleted."
            )
        delete_by, rule = plus_months(involvement_ends, RETENTION_MONTHS), FROM_INVOLVEMENT
    if today is not None and delete_by < today:
        raise InvalidInput(
            "The delete-by date has already passed: check it against the consent form."
        )
    return {
        "format": CONSENT_FORMAT,
        "filming": consent.filming,
        "training": consent.training,
        "family_copy": consent.family_copy,
        "delete_by": delete_by.isoformat(),
        "delete_by_rule": rule,
        "involvement_ends": involvement_ends.isoformat() if involvement_ends else None,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall_clock)),
        "recorded_at_clock": time_source,
    }
