"""`vig-appliance sessions list [--json]`: what is stored, without decrypting anything."""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..vault.session_info import SessionInfo
from ..vault.store import Vault
from .context import CliContext


def register(sessions: argparse.ArgumentParser) -> None:
    sub = sessions.add_subparsers(dest="sessions_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="id, state, start, duration, size, marks")
    listing.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    listing.set_defaults(handler=run_list)


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    scaled, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if scaled < 1024:
            break
        scaled, unit = scaled / 1024, bigger
    return f"{scaled:.1f} {unit}"


def _row(info: SessionInfo) -> list[str]:
    return [info.id, info.state, _utc(info.started_at), _duration(info.duration_s),
            _size(info.size_bytes), str(info.mark_count)]


def run_list(ctx: CliContext, args: argparse.Namespace) -> int:
    vault = Vault(ctx.data_dir, ctx.config.storage, ctx.config.recording)
    sessions = vault.list_sessions()
    if args.json:
        documents = [{**info.to_dict(), "started_at_utc": _utc(info.started_at)}
                     for info in sessions]
        json.dump(documents, sys.stdout, indent=1)
        print()
        return 0
    if not sessions:
        print("No sessions are stored.", file=sys.stderr)
        return 0
    rows = [["ID", "STATE", "START (UTC)", "DURATION", "SIZE", "MARKS"]]
    rows += [_row(info) for info in sessions]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    return 0
