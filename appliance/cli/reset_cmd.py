"""`vig-appliance reset`: factory reset of the data area (see `appliance.operations.factory_reset`).

Refuses while sessions are not exported (unless --force) and while the service runs
(it holds the sessions open); asks for confirmation on a terminal unless --yes.
"""

from __future__ import annotations

import argparse
import sys

from ..operations.doctor import run_command, service_state
from ..operations.factory_reset import ResetError, check_allowed, factory_reset, plan_reset
from ..vault.store import Vault
from .context import CliContext

CONFIRMATION = "RESET"


class ServiceRunning(ResetError, RuntimeError):
    """The appliance service is running and holds the data area."""

    code = "reset_service_running"
    hint = "Stop it first: sudo systemctl stop vig-appliance.service"


class NotConfirmed(ResetError, RuntimeError):
    """A factory reset needs a confirmation."""

    code = "reset_not_confirmed"
    hint = "Run it in a terminal and type RESET, or pass --yes."


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="also erase sessions that were never exported (destroys them)")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--service", default="vig-appliance.service")
    parser.add_argument("--systemctl", default="systemctl", help="the systemctl command to run")
    parser.set_defaults(handler=run_reset)


def run_reset(ctx: CliContext, args: argparse.Namespace) -> int:
    vault = Vault(ctx.data_dir, ctx.config.storage, ctx.config.recording)
    plan = plan_reset(vault)
    check_allowed(plan, force=args.force)
    if service_state(run_command, args.systemctl, args.service) == "active" and not args.force:
        raise ServiceRunning(f"{args.service} is running.")
    print(f"vig-appliance: factory reset will erase {plan.describe()}", file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            raise NotConfirmed("A factory reset was not confirmed.")
        answer = input(f"Type {CONFIRMATION} to erase them for good: ")
        if answer.strip() != CONFIRMATION:
            print("vig-appliance: nothing was erased", file=sys.stderr)
            return 1
    report = factory_reset(vault, force=args.force)
    print(
        f"erased {report.sessions_deleted} session(s) ({report.unexported_deleted} never "
        f"exported), {report.recipients_removed} recipient(s) and the panel PIN; "
        f"the audit log restarts with a factory_reset entry "
        f"(previous log: {report.previous_log_entries} entries)"
    )
    return 0
