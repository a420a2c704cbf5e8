"""Errors of vig-unpack: each says which file and what to do."""

from __future__ import annotations

from ..errors import ApplianceError


class UnpackError(ApplianceError):
    """Unpacking did not work."""

    code = "unpack"


class UsageError(UnpackError, ValueError):
    """The command line does not say what to unpack or with which key."""

    code = "unpack.usage"


class NothingToUnpack(UnpackError, FileNotFoundError):
    """No exported session was found where the command pointed."""

    code = "unpack.nothing_found"
    hint = "Point vig-unpack at the stick, its VIG-EXPORT folder, or one session folder."


class KeyUnusable(UnpackError, ValueError):
    """The key file cannot be read as an age identity."""

    code = "unpack.key_unusable"
    hint = "Give the file that holds your AGE-SECRET-KEY-1… line (or its protected copy)."


class WrongKey(UnpackError, PermissionError):
    """The key given does not open these recordings."""

    code = "unpack.wrong_key"
    hint = "Use the practitioner's key the appliance encrypts to (check with vig-appliance keys)."


class MediaUnreadable(UnpackError, ValueError):
    """A decrypted file is not a readable recording."""

    code = "unpack.media_unreadable"
