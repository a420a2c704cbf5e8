"""`vig-appliance age encrypt|decrypt`: the appliance's own age, file or stdin to file or stdout.

Useful on a laptop without the `age` tool and to check what the appliance writes. It
never touches the data dir. Decryption streams plaintext out only as each chunk is
authenticated; `--salvage` keeps everything authentic from a cut or damaged file and says
where and why it stops. Passphrases are read from the terminal, never from stdin (which
may carry the data).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

from ..vault.age import (
    AgeError,
    AgeIOError,
    AgeReader,
    AgeWriter,
    ArmorWriter,
    InvalidIdentity,
    InvalidRecipient,
    Recipient,
    ScryptIdentity,
    ScryptRecipient,
    decrypt_bytes,
    parse_identity_file,
    parse_recipient,
    parse_recipients_file,
    salvage,
)
from .context import CliContext

COPY_BLOCK = 1 << 20


class AgeCommandError(AgeError, ValueError):
    """The age command cannot do what was asked."""

    code = "age_command"


class PassphraseUnavailable(AgeCommandError):
    """A passphrase is needed but there is no terminal to ask it on."""

    code = "age_no_terminal"
    hint = "Run the command in a terminal, or use a key file (-i / -r)."


class PassphraseMismatch(AgeCommandError):
    """The two passphrases typed differ."""

    code = "age_passphrase_mismatch"


class BinaryToTerminal(AgeCommandError):
    """Refusing to print binary ciphertext on a terminal."""

    code = "age_binary_to_terminal"
    hint = "Use -o FILE, redirect the output, or -a for text (armored) output."


class SalvageIncomplete(AgeCommandError):
    """The file was salvaged only up to a point."""

    code = "age_salvage_incomplete"


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="age_action", required=True, metavar="ACTION")

    enc = actions.add_parser("encrypt", help="encrypt to recipients or a passphrase")
    enc.add_argument("-r", "--recipient", action="append", default=[], help="age1… public key")
    enc.add_argument(
        "-R",
        "--recipients-file",
        action="append",
        default=[],
        metavar="FILE",
        help="file of recipients, one a line (# comments)",
    )
    enc.add_argument("-p", "--passphrase", action="store_true", help="encrypt to a passphrase")
    enc.add_argument("-a", "--armor", action="store_true", help="PEM-style text output")
    enc.add_argument("-o", "--output", metavar="OUT", help="output file (default stdout)")
    enc.add_argument("input", nargs="?", metavar="INPUT", help="input file (default stdin)")
    enc.set_defaults(handler=run_encrypt)

    dec = actions.add_parser("decrypt", help="decrypt with identity files or a passphrase")
    dec.add_argument(
        "-i",
        "--identity",
        action="append",
        default=[],
        metavar="FILE",
        help="identity file (AGE-SECRET-KEY-1…), plain or passphrase-protected",
    )
    dec.add_argument("-p", "--passphrase", action="store_true", help="ask for a passphrase")
    dec.add_argument(
        "--salvage",
        action="store_true",
        help="release every authenticated chunk of a cut or damaged file, then say where it stops",
    )
    dec.add_argument("-o", "--output", metavar="OUT", help="output file (default stdout)")
    dec.add_argument("input", nargs="?", metavar="INPUT", help="input file (default stdin)")
    dec.set_defaults(handler=run_decrypt)


def read_passphrase(prompt: str) -> str:
    """Ask on the controlling terminal (never stdin, which may be the data)."""
    try:
        with open("/dev/tty", "rb"):
            pass
    except OSError as exc:
        raise PassphraseUnavailable("a passphrase is needed but there is no terminal") from exc
    return getpass.getpass(prompt)


def _recipients(args: argparse.Namespace) -> list[Recipient]:
    recipients = [parse_recipient(text) for text in args.recipient]
    for path in args.recipients_file:
        recipients += parse_recipients_file(_read_text(path, InvalidRecipient))
    if args.passphrase:
        if recipients:
            raise AgeCommandError("-p cannot be combined with -r or -R")
        passphrase = read_passphrase("Enter passphrase: ")
        if read_passphrase("Confirm passphrase: ") != passphrase:
            raise PassphraseMismatch("the passphrases do not match")
        recipients.append(ScryptRecipient(passphrase))
    if not recipients:
        raise AgeCommandError("nobody to encrypt to: give -r, -R or -p")
    return recipients


def _read_text(path: str, error: type[AgeError]) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise error(f"{path} is not a text key file") from exc
    except OSError as exc:
        raise AgeIOError(exc.errno, f"cannot read {path}: {exc.strerror}") from exc


def _identities_from_file(path: str) -> list:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise AgeIOError(exc.errno, f"cannot read {path}: {exc.strerror}") from exc
    if raw.startswith(b"age-encryption.org/") or raw.lstrip().startswith(b"-----BEGIN AGE"):
        passphrase = read_passphrase(f"Enter passphrase for identity file {path}: ")
        raw = decrypt_bytes(raw, [ScryptIdentity(passphrase)])
    try:
        return parse_identity_file(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidIdentity(f"{path} is not an identity file") from exc


@contextlib.contextmanager
def _open_input(path: str | None) -> Iterator[BinaryIO]:
    if path in (None, "-"):
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, errors mapped first
    except OSError as exc:
        raise AgeIOError(exc.errno, f"cannot open {path}: {exc.strerror}") from exc
    with handle:
        yield handle


@contextlib.contextmanager
def _open_output(path: str | None, *, binary_ok_on_tty: bool) -> Iterator[BinaryIO]:
    if path in (None, "-"):
        if not binary_ok_on_tty and sys.stdout.isatty():
            raise BinaryToTerminal("refusing to print binary ciphertext on a terminal")
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        handle = open(path, "wb")  # noqa: SIM115 - closed below, errors mapped first
    except OSError as exc:
        raise AgeIOError(exc.errno, f"cannot create {path}: {exc.strerror}") from exc
    with handle:
        yield handle


def _refuse_overwriting_the_input(args: argparse.Namespace) -> None:
    """Opening the output truncates it: if it is the input, the data would be lost."""
    paths = (args.input, args.output)
    if any(path in (None, "-") for path in paths) or not os.path.exists(args.output):
        return
    with contextlib.suppress(OSError):
        if os.path.samefile(*paths):
            raise AgeCommandError("the output file is the input file; choose another -o")


def _copy(source: BinaryIO, writer: AgeWriter) -> None:
    while True:
        try:
            block = source.read(COPY_BLOCK)
        except OSError as exc:
            raise AgeIOError(exc.errno, f"reading the input failed: {exc.strerror}") from exc
        if not block:
            return
        writer.write(block)


def run_encrypt(ctx: CliContext, args: argparse.Namespace) -> int:
    _refuse_overwriting_the_input(args)
    recipients = _recipients(args)
    with (
        _open_input(args.input) as source,
        _open_output(args.output, binary_ok_on_tty=args.armor) as sink,
    ):
        try:
            with _os_errors_as_age_errors("writing the encrypted output"):
                target = ArmorWriter(sink) if args.armor else sink
                writer = AgeWriter(target, recipients)
                _copy(source, writer)
                writer.close()
                if isinstance(target, ArmorWriter):
                    target.close()
        except AgeError:
            if args.output not in (None, "-"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(args.output)  # an unfinished ciphertext is of no use
            raise
    return 0


@contextlib.contextmanager
def _os_errors_as_age_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except AgeError:
        raise
    except OSError as exc:
        raise AgeIOError(exc.errno, f"{doing} failed: {exc.strerror or exc}") from exc


def _decrypt_identities(args: argparse.Namespace) -> list:
    identities = []
    for path in args.identity:
        identities += _identities_from_file(path)
    if args.passphrase or not args.identity:
        identities.append(ScryptIdentity(read_passphrase("Enter passphrase: ")))
    return identities


def run_decrypt(ctx: CliContext, args: argparse.Namespace) -> int:
    _refuse_overwriting_the_input(args)
    identities = _decrypt_identities(args)
    with _open_input(args.input) as source:
        if args.salvage:
            return _salvage(source, identities, args.output)
        reader = AgeReader(source, identities)  # the header is checked before any output
        with _open_output(args.output, binary_ok_on_tty=True) as sink:
            for chunk in reader:
                with _os_errors_as_age_errors("writing the plaintext"):
                    sink.write(chunk)
    return 0


def _salvage(source: BinaryIO, identities: list, output: str | None) -> int:
    with (
        _open_output(output, binary_ok_on_tty=True) as sink,
        _os_errors_as_age_errors("writing the plaintext"),
    ):
        report = salvage(source, identities, sink)
        sink.flush()
    if not report.complete:
        raise SalvageIncomplete(
            f"recovered {report.plaintext_bytes} bytes; the file stops being readable at "
            f"ciphertext byte {report.ciphertext_offset}: {report.reason}"
        )
    return 0
