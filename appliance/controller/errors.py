"""Why the controller refused a command, in plain words, with what to do about it."""

from __future__ import annotations

from ..errors import ApplianceError


class ControllerError(ApplianceError):
    """A command was refused; the message says why in plain words."""

    code = "refused"


class AlreadyRecording(ControllerError, RuntimeError):
    """A session is already being recorded."""

    code = "already_recording"
    hint = "Stop the current session first."


class NotRecording(ControllerError, RuntimeError):
    """Nothing is being recorded right now."""

    code = "not_recording"
    hint = "Start a session first."


class Busy(ControllerError, RuntimeError):
    """The appliance is busy finishing or exporting."""

    code = "busy"
    hint = "Wait a few seconds and try again."


class SessionInUse(ControllerError, RuntimeError):
    """The session being recorded cannot be deleted."""

    code = "session_in_use"
    hint = "Stop the recording first, then delete it."


class UnknownMark(ControllerError, LookupError):
    """The session being recorded has no mark with that number (it may have been removed)."""

    code = "unknown_mark"
    hint = "Choose a mark from this session's list."


class MarksSealed(ControllerError, RuntimeError):
    """The mark belongs to a session that has stopped: the device cannot read it back."""

    code = "marks_sealed"
    hint = "Add later tags and notes in the viewer's review plan."


class InvalidInput(ControllerError, ValueError):
    """The request was not valid; nothing was changed."""

    code = "invalid_input"


class InvalidTransition(ControllerError, RuntimeError):
    """The controller was asked to change state in a way its table does not allow (a bug)."""

    code = "invalid_transition"
    hint = "Restart the appliance; the recordings on the card are kept."


class ConsentDateNeeded(ControllerError, ValueError):
    """The delete-by date cannot be worked out: the device does not know today's date."""

    code = "consent_date_needed"
    hint = (
        "Enter the date by which every copy must be deleted, or when the case's "
        "involvement ends."
    )
