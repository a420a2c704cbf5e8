"""Errors of the export box: each says what happened to the stick and what to do.

A stick is untrusted, removable hardware: most failures are the stick's (pulled, full,
read-only, broken), some are the stick's content (a conflicting or linked file). None of
them ever costs a recording: a session is deleted only after every file verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ApplianceError

if TYPE_CHECKING:
    from typing import Self

    from .exporter import ExportResult


class ExportError(ApplianceError):
    """The export did not finish.

    `result`, when the export had begun, lists what was already exported and deleted
    before the stick failed, so a caller can say what is safe and what stays here.
    """

    code = "export"

    def __init__(self, *args: object, result: ExportResult | None = None) -> None:
        super().__init__(*args)
        self.result = result

    def with_result(self, result: ExportResult) -> Self:
        """The same error, carrying what the export had done when it was raised."""
        return type(self)(*self.args, result=result)


class NoStick(ExportError, LookupError):
    """No USB stick is plugged in."""

    code = "export.no_stick"
    hint = "Plug in one USB stick and try again."


class TooManySticks(ExportError, RuntimeError):
    """More than one USB stick is plugged in."""

    code = "export.too_many_sticks"
    hint = "Unplug all but one USB stick so it is clear where the recordings go."


class StickReadOnly(ExportError, PermissionError):
    """The USB stick cannot be written to."""

    code = "export.read_only"
    hint = "Check the stick's lock switch, or use another stick."


class StickFull(ExportError, OSError):
    """The USB stick ran out of space."""

    code = "export.stick_full"
    hint = "Nothing was deleted from the appliance. Free space on the stick or use a bigger one."


class StickRemoved(ExportError, OSError):
    """The USB stick went away during the export."""

    code = "export.stick_removed"
    hint = (
        "Nothing unverified was deleted from the appliance. Plug the stick in again: "
        "the export resumes where it stopped."
    )


class StickWriteFailed(ExportError, OSError):
    """The USB stick reported an error while being written or read."""

    code = "export.write_failed"
    hint = "Nothing unverified was deleted from the appliance. Try again, or use another stick."


class UnsafeStickEntry(ExportError, ValueError):
    """Something on the stick is a link or a special file where an export file belongs."""

    code = "export.unsafe_entry"
    hint = "Remove that entry from the stick on a computer, then export again."


class ConflictingFile(ExportError, FileExistsError):
    """A different file with the same name already exists on the stick."""

    code = "export.conflict"
    hint = "Move that file off the stick on a computer, then export again."


class VerifyFailed(ExportError, ValueError):
    """A file read back from the stick differs from the recording on the appliance."""

    code = "export.verify_failed"
    hint = "The session was kept on the appliance. Try again, or use another stick."


class NotFatSafe(ExportError, ValueError):
    """A file cannot be stored on a FAT32 stick (too big, or a name FAT cannot hold)."""

    code = "export.not_fat_safe"
    hint = "The session was kept on the appliance; please report this as a bug."


class StickCommandFailed(ExportError, OSError):
    """The system could not mount, unmount or power off the USB stick."""

    code = "export.stick_command"
    hint = "Wait a moment and plug the stick in again; if it keeps failing, use another stick."


class NotAFolder(ExportError, NotADirectoryError):
    """The export target is not a folder."""

    code = "export.not_a_folder"
    hint = "Give a folder (it is created if it does not exist yet)."


class AppliancePurgeFailed(ExportError, OSError):
    """The session is verified on the stick, but the appliance could not delete its copy."""

    code = "export.delete_failed"
    hint = "Nothing is lost: the next export finds it on the stick, verifies it and deletes it."
