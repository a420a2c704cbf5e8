"""recipients.txt: the public keys every recording is encrypted to, with a comment each.

The file is a standard age recipients file (`age -R recipients.txt` reads it): one `age1…`
a line, each preceded by its `#` comment lines. Only public keys are ever stored on the
device; a secret key given by mistake is refused by the parser before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .age import InvalidRecipient, Recipient, parse_recipient
from .atomic_file import replace_atomically
from .errors import InvalidComment, UnknownRecipient
from .filesystem import FileSystem

RECIPIENTS_FILE = "recipients.txt"
MAX_COMMENT_LENGTH = 200
HEADER = (
    "# VIG appliance: the public keys (age recipients) recordings are encrypted to.\n"
    "# Public keys only: a secret key (AGE-SECRET-KEY-1...) never belongs on the device.\n"
)


@dataclass(frozen=True)
class EnrolledRecipient:
    recipient: Recipient
    comment: str = ""

    @property
    def text(self) -> str:
        return str(self.recipient)


def check_comment(comment: str) -> str:
    comment = comment.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in comment):
        raise InvalidComment("a recipient comment must be one line of plain text")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidComment(f"a recipient comment may be at most {MAX_COMMENT_LENGTH} characters")
    return comment


class RecipientsFile:
    def __init__(self, path: Path, fs: FileSystem) -> None:
        self.path = Path(path)
        self._fs = fs

    def entries(self) -> list[EnrolledRecipient]:
        if not self.path.exists():
            return []
        entries: list[EnrolledRecipient] = []
        comment_lines: list[str] = []
        text = self.path.read_text(encoding="utf-8")
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line:
                comment_lines = []
            elif line.startswith("#"):
                comment_lines.append(line[1:].strip())
            else:
                try:
                    recipient = parse_recipient(line)
                except InvalidRecipient as exc:
                    raise type(exc)(f"line {number} of {self.path}: {exc}") from exc
                entries.append(EnrolledRecipient(recipient, " ".join(comment_lines)))
                comment_lines = []
        return entries

    def recipients(self) -> list[Recipient]:
        return [entry.recipient for entry in self.entries()]

    def add(self, text: str, comment: str = "") -> tuple[EnrolledRecipient, bool]:
        """Enrol a recipient; enrolling one again only updates its comment.

        Returns the entry and whether it is new, so provisioning can run twice.
        """
        recipient = parse_recipient(text)
        comment = check_comment(comment)
        entries = self.entries()
        index = next((i for i, e in enumerate(entries) if e.recipient == recipient), None)
        entry = EnrolledRecipient(recipient, comment)
        if index is None:
            self._write([*entries, entry])
            return entry, True
        if not comment or comment == entries[index].comment:
            return entries[index], False
        entries[index] = entry
        self._write(entries)
        return entry, False

    def remove(self, text: str) -> EnrolledRecipient:
        """Withdraw a recipient; future files are no longer encrypted to it."""
        recipient = parse_recipient(text)
        entries = self.entries()
        match = next((e for e in entries if e.recipient == recipient), None)
        if match is None:
            raise UnknownRecipient(f"{recipient} is not enrolled")
        self._write([e for e in entries if e is not match])
        return match

    def _write(self, entries: list[EnrolledRecipient]) -> None:
        blocks = [HEADER]
        for entry in entries:
            comment = f"# {entry.comment}\n" if entry.comment else ""
            blocks.append(f"{comment}{entry.text}\n")
        replace_atomically(self._fs, self.path, "\n".join(blocks).encode("utf-8"))
