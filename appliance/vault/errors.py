"""Errors of the vault box (the age format's own errors derive from these too)."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ApplianceError


class VaultError(ApplianceError):
    """Something went wrong storing or reading encrypted data."""

    code = "vault"


class _KeyLookupMessage:
    """KeyError quotes its message in str(); the user should read plain words instead."""

    args: tuple[object, ...]  # from the exception class each user also derives from

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NoRecipient(VaultError, LookupError):
    """Nobody could open a recording made now, so recording is refused."""

    code = "no_recipient"
    hint = "Enrol the practitioner's public key first: vig-appliance keys add age1…"


class NotEnoughSpace(VaultError, OSError):
    """The SD card has too little free space to start or continue recording."""

    code = "not_enough_space"
    hint = "Export finished sessions to a USB stick, or delete sessions that are no longer needed."


class UnknownSession(_KeyLookupMessage, VaultError, KeyError):
    """No session with this id exists in the data dir."""

    code = "unknown_session"
    hint = "List the sessions with: vig-appliance sessions list"


class UnknownRecipient(_KeyLookupMessage, VaultError, KeyError):
    """The recipient to remove is not enrolled."""

    code = "unknown_recipient"
    hint = "List the enrolled recipients with: vig-appliance keys list"


class InvalidComment(VaultError, ValueError):
    """A recipient comment must fit on one line."""

    code = "invalid_comment"


class CorruptStateFile(VaultError, ValueError):
    """A plaintext bookkeeping file (state.json) cannot be read."""

    code = "corrupt_state"


class PersonalDataInAudit(VaultError, ValueError):
    """The audit log refuses fields that could carry personal data."""

    code = "personal_data_in_audit"


class SessionClosed(VaultError, RuntimeError):
    """The session or part was already finished; nothing more can be written to it."""

    code = "session_closed"


class ConsentClosed(VaultError, RuntimeError):
    """A session's consent record cannot change once the session has been exported."""

    code = "consent_closed"
    hint = "Note the change on the service's consent form, and in the review plan on the laptop."


class KeyFileExists(VaultError, FileExistsError):
    """Refusing to overwrite an existing key file."""

    code = "key_file_exists"
    hint = "Choose another --out file, or pass --force if you really mean to replace it."


class InvalidTransition(VaultError, ValueError):
    """A session cannot move from its current state to the one asked for."""

    code = "invalid_transition"


class NoFreeSessionId(VaultError, FileExistsError):
    """Every session id tried for this start time already exists."""

    code = "no_free_session_id"


class StorageWriteFailed(VaultError, OSError):
    """The SD card refused a write."""

    code = "storage_write_failed"
    hint = "The SD card may be failing or was removed; export what is stored as soon as possible."


def storage_error(exc: OSError, what: str) -> VaultError:
    """The vault's error for an OS error while writing `what`: a full card is told apart."""
    if exc.errno == errno.ENOSPC:
        error: NotEnoughSpace | StorageWriteFailed = NotEnoughSpace(
            f"the SD card is full: could not write {what}"
        )
    else:
        error = StorageWriteFailed(f"could not write {what}: {exc.strerror or exc}")
    error.errno = exc.errno
    return error


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Turn an OS error while writing `what` into the vault's own, keeping the cause."""
    try:
        yield
    except (NotEnoughSpace, StorageWriteFailed):
        raise
    except OSError as exc:
        raise storage_error(exc, what) from exc
