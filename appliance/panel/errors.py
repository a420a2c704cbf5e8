"""Errors of the panel box."""

from __future__ import annotations

from ..errors import ApplianceError


class PanelError(ApplianceError):
    """Something went wrong in the phone panel."""

    code = "panel"


class BadRequest(PanelError, ValueError):
    """The request is not what the panel expects; nothing was changed."""

    code = "bad_request"


class PinNotSet(PanelError, LookupError):
    """No panel PIN has been set on this device."""

    code = "pin_not_set"
    hint = "Set one with: vig-appliance panel set-pin"


class WeakPin(PanelError, ValueError):
    """The PIN is refused: too short, not only digits, or too easy to guess."""

    code = "weak_pin"


class TimeNotSet(PanelError, OSError):
    """The device clock could not be set."""

    code = "time_not_set"
    hint = "Check that automatic time sync is off and the service may set the time."


class TimeNeedsConfirmation(PanelError, ValueError):
    """The device's clock is already set and the phone's differs from it by minutes."""

    code = "time_needs_confirmation"


class TimeSetTooOften(PanelError, ValueError):
    """The clock was set from a phone a moment ago; nothing was changed."""

    code = "time_set_too_often"
