"""Recipients and identity files as people write them: one key a line, `#` comments."""

from __future__ import annotations

from .errors import InvalidIdentity, InvalidRecipient, PrivateKeyGivenAsRecipient
from .mlkem768x25519 import MLKEM768X25519Identity, MLKEM768X25519Recipient
from .primitives import Identity, Recipient
from .x25519 import X25519Identity, X25519Recipient

#: Like age: anything bigger is not a key file.
MAX_KEY_FILE_SIZE = 1 << 24


def parse_recipient(text: str) -> Recipient:
    """One recipient (`age1…`); a secret key given here is refused, never used."""
    stripped = text.strip()
    if stripped.upper().startswith("AGE-SECRET-KEY-"):
        raise PrivateKeyGivenAsRecipient("this is a secret key, not a recipient")
    if stripped.startswith("age1pq1"):
        return MLKEM768X25519Recipient.parse(stripped)
    if stripped.startswith("age1"):
        return X25519Recipient.parse(stripped)
    raise InvalidRecipient("unknown recipient type (an age recipient starts with age1)")


def _key_lines(text: str, what: str, error: type[Exception]) -> list[tuple[int, str]]:
    if len(text) > MAX_KEY_FILE_SIZE:
        raise error(f"the {what} file is too large")
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line and not line.startswith("#")
    ]


def parse_recipients_file(text: str) -> list[Recipient]:
    """A recipients file: one recipient a line; blank lines and `#` comments ignored."""
    recipients = []
    for number, line in _key_lines(text, "recipients", InvalidRecipient):
        try:
            recipients.append(parse_recipient(line))
        except InvalidRecipient as exc:
            raise type(exc)(f"line {number} of the recipients file: {exc}") from exc
    if not recipients:
        raise InvalidRecipient("no recipients found in the recipients file")
    return recipients


def parse_identity(text: str) -> Identity:
    line = text.strip()
    if line.startswith("AGE-SECRET-KEY-PQ-1"):
        return MLKEM768X25519Identity.parse(line)
    if line.startswith("AGE-SECRET-KEY-1"):
        return X25519Identity.parse(line)
    raise InvalidIdentity("unknown identity type (an age identity starts with AGE-SECRET-KEY-1)")


def parse_identity_file(text: str) -> list[Identity]:
    """An identity file (as age-keygen writes): keys one a line, `#` comments, blanks."""
    identities = []
    for number, line in _key_lines(text, "identity", InvalidIdentity):
        try:
            identities.append(parse_identity(line))
        except InvalidIdentity as exc:
            raise InvalidIdentity(f"line {number} of the identity file: {exc}") from exc
    if not identities:
        raise InvalidIdentity("no identities found in the identity file")
    return identities
