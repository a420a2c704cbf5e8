"""`vig-appliance keys`: make a key pair, and enrol or withdraw the public keys recordings
are encrypted to.

`keys new` runs on the practitioner's own computer (or anywhere trusted), never needs the
data dir, and writes the secret key to a file only its owner can read. The appliance only
ever receives the public half (`keys add`). Nothing here prints a secret key: not the new
one, and not one given by mistake to `keys add`.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import time
from pathlib import Path

from ..errors import ApplianceError
from ..vault.age import (
    MLKEM768X25519Identity,
    MLKEM768X25519Recipient,
    ScryptRecipient,
    X25519Identity,
    encrypt_bytes,
)
from ..vault.atomic_file import PRIVATE_FILE_MODE, replace_private_file
from ..vault.errors import KeyFileExists
from ..vault.filesystem import FileSystem, OsFileSystem
from ..vault.store import Vault
from .context import CliContext


class PassphraseRefused(ApplianceError, ValueError):
    """The passphrase was empty or the two entries did not match."""

    code = "passphrase_refused"
    hint = "Run the command again and type the same passphrase twice."


def register(keys: argparse.ArgumentParser) -> None:
    sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    new = sub.add_parser("new", help="make a new key pair; print the public key (recipient)")
    new.add_argument("--out", required=True, metavar="FILE", help="where to write the secret key")
    new.add_argument("--passphrase", action="store_true",
                     help="protect the key file with a passphrase (asked for, never an argument)")
    new.add_argument("--force", action="store_true", help="replace FILE if it exists")
    new.add_argument(
        "--post-quantum", action="store_true",
        help="a hybrid ML-KEM-768 + X25519 key (age1pq1…), safe against future quantum "
        "computers; its files open with vig-unpack or age 1.3 and newer",
    )
    new.set_defaults(handler=run_new)

    add = sub.add_parser("add", help="enrol a public key (age1…) recordings are encrypted to")
    add.add_argument("recipient", metavar="RECIPIENT")
    add.add_argument("--comment", default="", help="whose key this is (one line)")
    add.set_defaults(handler=run_add)

    listing = sub.add_parser("list", help="list the enrolled public keys")
    listing.set_defaults(handler=run_list)

    remove = sub.add_parser("remove", help="withdraw a public key (future recordings only)")
    remove.add_argument("recipient", metavar="RECIPIENT")
    remove.set_defaults(handler=run_remove)


def _vault(ctx: CliContext) -> Vault:
    return Vault(ctx.data_dir, ctx.config.storage, ctx.config.recording)


def _read_passphrase() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Passphrase for the new key file: ")
        second = getpass.getpass("Type it again: ")
        if first != second:
            raise PassphraseRefused("the two passphrases did not match")
    else:
        # Scripts pipe the passphrase on stdin, which keeps it out of argv and the environment.
        first = sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
    if not first:
        raise PassphraseRefused("an empty passphrase protects nothing")
    return first


def _identity_file(identity: X25519Identity | MLKEM768X25519Identity, now: float) -> bytes:
    """The same layout age-keygen writes, so `age -d -i FILE` reads it."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    return (
        f"# created: {created}\n"
        f"# public key: {identity.recipient}\n"
        f"{identity}\n"
    ).encode()


def _write_private_file(
    path: Path, data: bytes, *, force: bool, fs: FileSystem | None = None
) -> None:
    """Write a 0600 file in one step: never half a key, never an overwrite unless forced.

    A forced overwrite is the vault's replace recipe (its directory fsync included), so a
    power cut leaves the old key or the new one, never the old one plus a stray temp file.
    """
    if path.exists() and not force:
        raise KeyFileExists(f"{path} already exists; the key in it was not touched")
    if force:
        replace_private_file(fs or OsFileSystem(), path, data)
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temp, path)  # fails if `path` appeared meanwhile: no overwrite race
        except FileExistsError as exc:
            raise KeyFileExists(f"{path} already exists; the key in it was not touched") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def run_new(ctx: CliContext, args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser()
    if out.exists() and not args.force:
        raise KeyFileExists(f"{out} already exists; the key in it was not touched")
    identity = MLKEM768X25519Identity.generate() if args.post_quantum else X25519Identity.generate()
    content = _identity_file(identity, time.time())
    protected = ""
    if args.passphrase:
        content = encrypt_bytes(content, [ScryptRecipient(_read_passphrase())], armor=True)
        protected = ", protected by your passphrase (age -d opens it)"
    _write_private_file(out, content, force=args.force)
    recipient = str(identity.recipient)
    print(f"Wrote the secret key to {out} (readable by you only){protected}.")
    print("Keep it safe and make a backup: if this key"
          + (" or its passphrase" if args.passphrase else "")
          + " is lost, the recordings made for it cannot be opened by anyone,"
          " not by you, not by the appliance, not by the service.")
    print("Recommended: also enrol your service's recovery recipient on the appliance, so a"
          " lost key does not mean lost recordings.")
    print(f"Enrol this public key on the appliance with: vig-appliance keys add {recipient}")
    print("Your public key (recipient):")
    print(recipient)
    return 0


def run_add(ctx: CliContext, args: argparse.Namespace) -> int:
    vault = _vault(ctx)
    entry, added = vault.add_recipient(args.recipient, args.comment)
    comment = f" ({entry.comment})" if entry.comment else ""
    if added:
        print(f"Enrolled {entry.text}{comment}: new recordings are encrypted to it.")
    else:
        print(f"Already enrolled: {entry.text}{comment}.")
    kinds = {isinstance(r, MLKEM768X25519Recipient) for r in vault.recipients()}
    if kinds == {True, False}:
        print(
            "Warning: post-quantum (age1pq1…) and classic (age1…) keys are both enrolled. "
            "A file is only as safe as its weakest recipient, so a future quantum computer "
            "could open these recordings through the classic key. Enrol post-quantum keys "
            "only (the service's recovery key too), then remove the classic ones.",
            file=sys.stderr,
        )
    return 0


def run_list(ctx: CliContext, args: argparse.Namespace) -> int:
    entries = _vault(ctx).recipient_entries()
    if not entries:
        print("No recipient is enrolled: recording is refused until one is "
              "(vig-appliance keys add age1…).", file=sys.stderr)
    for entry in entries:
        print(f"{entry.text}\t{entry.comment}" if entry.comment else entry.text)
    return 0


def run_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    vault = _vault(ctx)
    entry = vault.remove_recipient(args.recipient)
    print(f"Removed {entry.text}: recordings made from now on are not encrypted to it "
          "(files already written still are).")
    if not vault.recipients():
        print("No recipient is enrolled any more: recording is refused until one is.",
              file=sys.stderr)
    return 0
