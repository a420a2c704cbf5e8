"""`vig-appliance viewer`: write the offline viewer to a file, or print its SHA-256.

The hash is how a practitioner's IT service checks the one trusted copy kept on the laptop:
the same figure is in every stick's README.txt and on the panel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..viewer import VIEWER_NAME, viewer_bytes, viewer_sha256
from .context import CliContext


def register(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", metavar="FILE", help=f"write the viewer here (e.g. {VIEWER_NAME})")
    what.add_argument("--hash", action="store_true", help="print the viewer's SHA-256")
    parser.set_defaults(handler=run)


def run(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.hash:
        print(viewer_sha256())
        return 0
    out = Path(args.out).expanduser()
    out.write_bytes(viewer_bytes())
    print(f"Wrote the viewer to {out} (SHA-256 {viewer_sha256()}).", file=sys.stderr)
    return 0
