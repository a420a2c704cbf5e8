"""What can go wrong at the hardware edge, as typed errors (see `appliance.errors`)."""

from __future__ import annotations

from ..errors import ApplianceError


class SourceError(ApplianceError):
    """A camera, microphone or clock could not do what was asked."""

    code = "source"


class ClockError(SourceError, ValueError):
    """A virtual clock was asked to do something time cannot do."""

    code = "clock"


class SourceSettingsError(SourceError, ValueError):
    """A source was given settings it cannot work with."""

    code = "source_settings"
    hint = "Check the recording settings (size, frame rate, sample rate)."


class SourceStateError(SourceError, RuntimeError):
    """A source was started twice, or used after it was stopped."""

    code = "source_state"


class ReplayFileError(SourceError, ValueError):
    """A replay file is missing, empty or not an H.264 Annex B stream."""

    code = "replay_file"
    hint = "Make the file again with make_replay_file, or point to a raw .h264 stream."


class StripUnreadable(SourceError, ValueError):
    """A picture is too small to hold the 32-block time strip."""

    code = "strip_unreadable"
