"""`vig-appliance panel set-pin`: set the phone panel's PIN (stored only as a scrypt hash).

A new PIN also forgets every remembered phone and ends every login: the PIN is changed
because someone may know the old one, and a phone they used must not stay trusted."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..panel.errors import WeakPin
from ..panel.login_guard import forget_phones
from ..panel.pin_store import MIN_PIN_DIGITS, PinStore, check_pin_not_trivial, panel_files


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="panel_command", required=True, metavar="ACTION")
    set_pin = actions.add_parser(
        "set-pin",
        help=f"set the panel PIN ({MIN_PIN_DIGITS}+ digits, no pattern; stdin when piped)",
    )
    set_pin.set_defaults(handler=set_pin_command)


def read_pin(stdin=None, prompt=getpass.getpass) -> str:
    """From stdin when piped (one line), else asked twice on the terminal."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return check_pin_not_trivial(stdin.readline().strip())
    first = check_pin_not_trivial(prompt("New panel PIN: "))
    if prompt("Repeat the PIN: ") != first:
        raise WeakPin("The two PINs differ; nothing was changed.")
    return first


def set_pin_command(ctx, args: argparse.Namespace) -> int:
    store = PinStore(panel_files(ctx.data_dir)[0])
    store.set(read_pin())
    forget_phones(ctx.data_dir)
    print(
        "vig-appliance: panel PIN set; every phone is logged out and forgotten, and logs in "
        "again as a new phone.",
        file=sys.stderr,
    )
    return 0
