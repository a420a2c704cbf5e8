"""`vig-appliance audit verify [--file F]`: check the audit log's hash chain.

Exit status 1 and the number of the first entry the chain no longer vouches for, if it is
broken. `--file` checks a copy, e.g. the `audit-<device>.log` on an export stick.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..vault.audit import AuditLog
from ..vault.filesystem import OsFileSystem
from ..vault.store import Vault
from .context import CliContext


def register(audit: argparse.ArgumentParser) -> None:
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check the hash chain; name the first broken entry")
    verify.add_argument("--file", help="check this copy of an audit log instead")
    verify.set_defaults(handler=run_verify)


def run_verify(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.file:
        log = AuditLog(Path(args.file).expanduser(), OsFileSystem())
    else:
        log = Vault(ctx.data_dir, ctx.config.storage, ctx.config.recording).audit
    if not log.path.exists():
        print(f"No audit log at {log.path} yet: nothing to check.")
        return 0
    result = log.verify()
    broken = result.first_broken
    if broken is None:
        noun = "entry" if result.entries == 1 else "entries"
        print(f"Audit log intact: {result.entries} {noun}, every link of the chain checks.")
        return 0
    print(f"Audit log BROKEN at entry {broken} of {result.entries}: {result.problem}.")
    if broken > 1:
        print(f"Entries 1 to {broken - 1} are vouched for by the chain.")
    return 1
