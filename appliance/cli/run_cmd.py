"""`vig-appliance run`: the appliance until stopped (SIGTERM or Ctrl-C save the session)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ..assembly import build_parts
from ..logs import configure_logging
from ..panel.pin_store import PinStore, panel_files
from ..runtime import Runtime
from ..sd_notify import SystemdNotifier
from .context import CliContext


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--simulate", action="store_true", help="simulated camera, microphone, button and stick"
    )
    parser.add_argument("--host", help="panel address (default from the config)")
    parser.add_argument("--port", type=int, help="panel port (default from the config)")
    parser.add_argument("--usb-dir", help="in simulation: the folder standing in for the USB port")
    parser.set_defaults(handler=run_appliance)


def run_appliance(ctx: CliContext, args: argparse.Namespace) -> int:
    configure_logging(ctx.config.log_level)
    parts = build_parts(
        ctx.config,
        ctx.data_dir,
        simulate=args.simulate,
        usb_dir=Path(args.usb_dir) if args.usb_dir else None,
    )
    runtime = Runtime(
        parts,
        host=args.host or ctx.config.panel.host,
        port=args.port if args.port is not None else ctx.config.panel.port,
        notifier=SystemdNotifier(ctx.environ),
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: runtime.stop_event.set())
    runtime.start()
    _announce(ctx, runtime, args)
    try:
        runtime.wait()
    finally:
        runtime.stop()
    print("vig-appliance: stopped; every session is saved.", file=sys.stderr)
    return 0


def _announce(ctx: CliContext, runtime: Runtime, args: argparse.Namespace) -> None:
    pin_store = PinStore(panel_files(ctx.data_dir)[0])
    lines = [f"vig-appliance: panel at {runtime.url}"]
    if not pin_store.is_set():
        lines.append(
            "vig-appliance: no panel PIN yet: set one with "
            f"`vig-appliance --data-dir {ctx.data_dir} panel set-pin`"
        )
    if not runtime.parts.vault.recipients():
        lines.append(
            "vig-appliance: no recipient enrolled, so recording is refused: "
            f"`vig-appliance --data-dir {ctx.data_dir} keys add age1…`"
        )
    usb = runtime.parts.usb_port
    if usb is not None:
        lines.append(f"vig-appliance: simulated USB port: a folder made in {usb} is a stick")
    lines.append("vig-appliance: stop with Ctrl-C (the session being recorded is saved)")
    print("\n".join(lines), file=sys.stderr, flush=True)
