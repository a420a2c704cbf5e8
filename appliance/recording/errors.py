"""Errors of the recording box (muxing, durability padding, clips)."""

from __future__ import annotations

from ..errors import ApplianceError


class RecordingError(ApplianceError):
    """Something went wrong turning pictures and sound into MP4."""

    code = "recording"


class MalformedBoxStream(RecordingError, ValueError):
    """The muxer produced bytes that do not parse as MP4 top-level boxes."""

    code = "recording_malformed_boxes"
    hint = "This is a bug in the recorder; the recording so far is kept."


class NoKeyframeYet(RecordingError, RuntimeError):
    """A part or clip must start with a keyframe (IDR), and none has arrived."""

    code = "recording_no_keyframe"


class RecordingFailed(RecordingError, OSError):
    """Writing the recording failed (full or failing card, a bug); what was synced is kept."""

    code = "recording_failed"
    hint = "The recording up to the last second before the failure is kept. Check the SD card."


class RecorderStopped(RecordingError, RuntimeError):
    """The recorder has been stopped and accepts no more input."""

    code = "recording_stopped"


class InvalidPadding(RecordingError, ValueError):
    """A `free` box was asked for a size no box header can describe."""

    code = "recording_invalid_padding"
