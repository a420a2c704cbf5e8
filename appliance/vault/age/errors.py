"""Errors of the age format, one class per thing that can fail.

Callers (the vault, vig-unpack, the CLI, the tests) tell failures apart by class, never by
text. Each class also derives from the built-in it resembles. The classes are grouped the
way the official test vectors group outcomes: no identity matched, header MAC, malformed
header, payload (truncated, tampered, trailing data), armor.
"""

from __future__ import annotations

from ..errors import VaultError


class AgeError(VaultError):
    """An age file could not be written or read."""

    code = "age"

    def user_message(self) -> str:
        """The message and the hint as two sentences."""
        text = str(self) or self.__class__.__doc__ or self.code
        if not self.hint:
            return text
        return f"{text.rstrip('.')}. {self.hint}"


# --- keys -------------------------------------------------------------------------------


class InvalidRecipient(AgeError, ValueError):
    """A recipient (public key) is not valid."""

    code = "age_invalid_recipient"
    hint = "A recipient looks like age1… (59 characters); check it was copied whole."


class PrivateKeyGivenAsRecipient(InvalidRecipient):
    """A secret key was given where a public recipient was expected."""

    code = "age_private_key_as_recipient"
    hint = (
        "Give the public key (age1…), never the secret key (AGE-SECRET-KEY-1…); "
        "the secret key must stay with its owner."
    )


class InvalidIdentity(AgeError, ValueError):
    """An identity (secret key) or identity file is not valid."""

    code = "age_invalid_identity"
    hint = "An identity looks like AGE-SECRET-KEY-1…; check the key file."


class InvalidPassphrase(AgeError, ValueError):
    """A passphrase cannot be used (for example, it is empty)."""

    code = "age_invalid_passphrase"


# --- writing ----------------------------------------------------------------------------


class NoRecipients(AgeError, ValueError):
    """There is nobody to encrypt to."""

    code = "age_no_recipients"
    hint = "Give at least one recipient."


class ScryptNotAlone(AgeError, ValueError):
    """A passphrase recipient was mixed with other recipients."""

    code = "age_scrypt_not_alone"
    hint = "Encrypt with a passphrase alone, or with public keys only."


class InvalidFiller(AgeError, ValueError):
    """A sync or close filler does not fit the chunk boundaries."""

    code = "age_invalid_filler"


class WriterClosed(AgeError, ValueError):
    """The age writer is closed or broken by an earlier failure."""

    code = "age_writer_closed"


class AgeIOError(AgeError, OSError):
    """Reading or writing the underlying file failed."""

    code = "age_io"


# --- reading: header --------------------------------------------------------------------


class NoIdentityMatched(AgeError, LookupError):
    """None of the given keys or passphrases opens this file."""

    code = "age_no_identity_matched"
    hint = "Use the key (or passphrase) the file was encrypted to."


class MalformedHeader(AgeError, ValueError):
    """The age header is not well formed (not an age file, or damaged)."""

    code = "age_malformed_header"


class UnsupportedVersion(MalformedHeader):
    """The file is not age-encryption.org/v1."""

    code = "age_unsupported_version"


class MalformedStanza(MalformedHeader):
    """A recipient stanza in the header is not well formed."""

    code = "age_malformed_stanza"


class WorkFactorTooLarge(MalformedStanza):
    """The passphrase work factor is too large to try safely."""

    code = "age_work_factor_too_large"


class HeaderMacMismatch(AgeError, ValueError):
    """The header's MAC does not match: the header was altered."""

    code = "age_header_mac"
    hint = "The file is damaged or was tampered with."


# --- reading: payload -------------------------------------------------------------------


class PayloadError(AgeError, ValueError):
    """The encrypted payload is damaged, cut short or followed by garbage."""

    code = "age_payload"


class TruncatedStream(PayloadError):
    """The file ends before its final chunk: it was cut short."""

    code = "age_truncated"
    hint = "Everything before the cut was authenticated; the end of the file is missing."


class TamperedChunk(PayloadError):
    """A chunk does not authenticate: the file was damaged or altered."""

    code = "age_tampered_chunk"


class CutOrDamagedChunk(TruncatedStream, TamperedChunk):
    """The file ends inside a chunk that does not authenticate (cut short or altered)."""

    code = "age_cut_chunk"


class EmptyFinalChunk(PayloadError):
    """The final chunk is empty, which only an empty file may have."""

    code = "age_empty_final_chunk"


class TrailingData(PayloadError):
    """Data follows the final chunk."""

    code = "age_trailing_data"


class ArmorError(AgeError, ValueError):
    """The ASCII armor (-----BEGIN AGE ENCRYPTED FILE-----) is not well formed."""

    code = "age_armor"
