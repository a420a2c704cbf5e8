"""`vig-appliance panel set-pin`: set the phone panel's PIN (stored only as a scrypt hash)."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..panel.errors import WeakPin
from ..panel.pin_store import MIN_PIN_DIGITS, PinStore, check_pin_format, panel_files


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="panel_command", required=True, metavar="ACTION")
    set_pin = actions.add_parser(
        "set-pin",
        help=f"set the panel PIN ({MIN_PIN_DIGITS}+ digits; read from stdin when piped)",
    )
    set_pin.set_defaults(handler=set_pin_command)


def read_pin(stdin=None, prompt=getpass.getpass) -> str:
    """From stdin when piped (one line), else asked twice on the terminal."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return check_pin_format(stdin.readline().strip())
    first = check_pin_format(prompt("New panel PIN: "))
    if prompt("Repeat the PIN: ") != first:
        raise WeakPin("The two PINs differ; nothing was changed.")
    return first


def set_pin_command(ctx, args: argparse.Namespace) -> int:
    store = PinStore(panel_files(ctx.data_dir)[0])
    store.set(read_pin())
    print(
        "vig-appliance: panel PIN set; phones logged in before must log in again.", file=sys.stderr
    )
    return 0
