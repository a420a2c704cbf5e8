"""Checks on what a phone sends: every refusal says in plain words what was wrong."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from flask import Request

from ..controller.consent import Consent, validate_consent
from ..controller.errors import InvalidInput
from ..controller.inputs import (
    validate_case_code,
    validate_mark_number,
    validate_note,
    validate_tag,
)
from .errors import BadRequest

SESSION_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
MAX_BODY_BYTES = 4096
#: A phone claiming a time outside these years is wrong, not early or late.
EARLIEST_EPOCH = 1_704_067_200  # 2024-01-01
LATEST_EPOCH = 4_102_444_800  # 2100-01-01
#: How long before its arrival a tap may have been: a stamp older than this (or later than
#: the arrival) is not believed, and the arrival time is used instead.
TAP_STAMP_WINDOW_SECONDS = 3.0


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as {}."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest("The request is too large.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("The request is too large.")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadRequest("The request is not valid JSON.") from exc
    except RecursionError as exc:
        raise BadRequest(
            "The request is nested too deeply to read: the panel sends only plain fields."
        ) from exc
    if not isinstance(body, dict):
        raise BadRequest("The request must be a JSON object.")
    return body


def _checked(check: Callable[[Any], Any], value: Any) -> Any:
    """The shared check every front end uses, refused as this panel's bad request."""
    try:
        return check(value)
    except InvalidInput as exc:
        raise BadRequest(str(exc)) from exc


def tag(value: Any) -> str | None:
    return _checked(validate_tag, value)


def note(value: Any) -> str | None:
    return _checked(validate_note, value)


MARK_NUMBER = re.compile(r"[0-9]{1,6}")


def mark_number(value: str) -> int:
    """The mark's number from the request's path (digits only)."""
    if not MARK_NUMBER.fullmatch(value):
        raise BadRequest("That is not a mark number: marks are numbered 1, 2, 3 …")
    return _checked(validate_mark_number, int(value))


def given(body: dict[str, Any], field: str, what: str) -> Any:
    """`body[field]`, which must be there (null counts): a change that names no value is
    refused rather than taken as "clear it"."""
    if field not in body:
        raise BadRequest(f"Say {what} ({field}), or null for none.")
    return body[field]


def case_code(value: Any) -> str | None:
    return _checked(validate_case_code, value)


def consent(body: dict[str, Any]) -> Consent:
    """The family's consent record (`consent.validate_consent`: its fields and no others)."""
    return _checked(validate_consent, body)


def mark_moment(tapped_at: Any, received_at: float | None, now: float) -> float | None:
    """When the mark happened, on the device's monotonic clock: the page's stamp of the
    tap (`tapped_at`) if it lies within `TAP_STAMP_WINDOW_SECONDS` before the request
    arrived, else the arrival (`received_at`, None = now). A stamp is never refused: a
    mark with an unbelievable one still counts, at its arrival."""
    arrived = now if received_at is None else received_at
    if (
        isinstance(tapped_at, int | float)
        and not isinstance(tapped_at, bool)
        and math.isfinite(tapped_at)
        and arrived - TAP_STAMP_WINDOW_SECONDS <= tapped_at <= arrived
    ):
        return float(tapped_at)
    return received_at


def session_id(value: str) -> str:
    if not SESSION_ID.fullmatch(value):
        raise BadRequest("That is not a session id.")
    return value


def confirmed(body: dict[str, Any]) -> None:
    if body.get("confirm") is not True:
        raise BadRequest("Deleting needs a confirmation: send confirm: true.")


def epoch_seconds(body: dict[str, Any]) -> float:
    value = body.get("epoch_ms")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest("The phone's time is missing (epoch_ms).")
    seconds = value / 1000.0
    if not EARLIEST_EPOCH <= seconds <= LATEST_EPOCH:
        raise BadRequest("The phone's time is not plausible: check the phone's clock.")
    return seconds


def pressed(body: dict[str, Any]) -> bool:
    value = body.get("pressed")
    if not isinstance(value, bool):
        raise BadRequest("Say whether the button is pressed (pressed: true or false).")
    return value
