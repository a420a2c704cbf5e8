"""`vig-appliance export --to DIR`: export finished sessions to any folder.

The same exporter as the USB path, with the folder standing in for the stick: copy,
verify by reading back, write manifests, then delete the verified sessions here.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from ..export.errors import NotAFolder
from ..export.exporter import Exporter
from ..export.progress import ExportProgress
from ..export.stick import FolderStick
from ..vault.store import Vault
from .context import CliContext


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Copy every finished session to DIR/VIG-EXPORT, read each file back and compare "
        "its hash, then delete the verified sessions from the data dir."
    )
    parser.add_argument("--to", required=True, metavar="DIR", help="folder to export into")
    parser.set_defaults(handler=run)


def _print_progress(update: ExportProgress) -> None:
    session = f" {update.session}" if update.session else ""
    print(
        f"export: {update.phase}{session} files {update.files_done}/{update.files_total} "
        f"bytes {update.bytes_done}/{update.bytes_total}",
        file=sys.stderr,
    )


def run(ctx: CliContext, args: argparse.Namespace) -> int:
    target = Path(args.to).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NotAFolder(f"Cannot use {target} as the export folder: {exc.strerror}.") from exc
    vault = Vault(ctx.data_dir, ctx.config.storage, ctx.config.recording)
    exporter = Exporter(vault, device_name=socket.gethostname())
    result = exporter.export(FolderStick(target), progress=_print_progress)
    print(result.summary())
    return 0 if result.ok else 1
