"""`vig-appliance`: the command-line front end.

Each command group lives in its own module with a `register(subparsers)` function; this
module only parses the global options, builds the context and dispatches. Errors derived
from `ApplianceError` become one plain line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import ApplianceError
from . import (
    age_cmd,
    audit_cmd,
    device_key_cmd,
    doctor_cmd,
    export_cmd,
    keys_cmd,
    panel_cmd,
    record_cmd,
    reset_cmd,
    run_cmd,
    sessions_cmd,
)
from .context import CliContext

COMMAND_MODULES = (
    run_cmd,
    record_cmd,
    keys_cmd,
    sessions_cmd,
    export_cmd,
    panel_cmd,
    audit_cmd,
    device_key_cmd,
    age_cmd,
    doctor_cmd,
    reset_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vig-appliance",
        description="Record VIG sessions into encrypted storage; manage keys, sessions and export.",
    )
    parser.add_argument("--data-dir", help="data directory (else VIG_DATA_DIR, config, default)")
    parser.add_argument("--config", help="config file (default /etc/vig-appliance/config.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ctx = CliContext.from_args(args, dict(os.environ) if environ is None else environ)
        return int(args.handler(ctx, args) or 0)
    except ApplianceError as exc:
        print(f"vig-appliance: {exc.user_message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vig-appliance: interrupted", file=sys.stderr)
        return 130
