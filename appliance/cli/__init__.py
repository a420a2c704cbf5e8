"""`vig-appliance`: the command-line front end.

Each command lives in its own module with a `register(parser)` function that adds the
command's arguments. This module names the commands and their one line of help, imports
only the chosen command's module (so `--help` or `keys list` never loads PyAV, numpy or
Flask, which `run` and `record` need), parses, builds the context and dispatches. Errors
derived from `ApplianceError` become one plain line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module

from ..errors import ApplianceError
from .context import CliContext

#: Each command: the module that registers and runs it, and its line in `--help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run_cmd", "run the appliance until stopped"),
    "record": ("record_cmd", "record one session headless, print its id"),
    "keys": ("keys_cmd", "make a key pair; enrol, list, remove recipients"),
    "sessions": ("sessions_cmd", "list the sessions stored on this device"),
    "export": (
        "export_cmd",
        "export finished sessions to a folder, verify them, then delete them here",
    ),
    "panel": ("panel_cmd", "the phone panel"),
    "audit": ("audit_cmd", "check the audit log"),
    "device-key": ("device_key_cmd", "show the fingerprint of the key that signs exports"),
    "age": ("age_cmd", "encrypt or decrypt age files (no data dir needed)"),
    "doctor": (
        "doctor_cmd",
        "check camera, microphone, pins, storage, keys, clock, Wi-Fi, service",
    ),
    "reset": (
        "reset_cmd",
        "factory reset: erase all sessions, the panel PIN and the recipients",
    ),
    "viewer": ("viewer_cmd", "write the offline viewer, or print its SHA-256"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser with the arguments of the `chosen` command; every other command is only
    its name and line of help, so its module is not imported."""
    parser = argparse.ArgumentParser(
        prog="vig-appliance",
        description="Record VIG sessions into encrypted storage; manage keys, sessions and export.",
    )
    parser.add_argument("--data-dir", help="data directory (else VIG_DATA_DIR, config, default)")
    parser.add_argument("--config", help="config file (default /etc/vig-appliance/config.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_line) in COMMANDS.items():
        command = commands.add_parser(name, help=help_line, add_help=name == chosen)
        if name == chosen:
            import_module(f"{__name__}.{module}").register(command)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Find the command first (`--help` and mistakes in it end here), then parse it fully."""
    found, _ = build_parser().parse_known_args(argv)
    return build_parser(found.command).parse_args(argv)


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ctx = CliContext.from_args(args, dict(os.environ) if environ is None else environ)
        return int(args.handler(ctx, args) or 0)
    except ApplianceError as exc:
        print(f"vig-appliance: {exc.user_message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vig-appliance: interrupted", file=sys.stderr)
        return 130
