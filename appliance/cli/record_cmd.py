"""`vig-appliance record`: one session, headless, with marks at given session times."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..assembly import build_parts, headless_clock
from ..controller.errors import InvalidInput
from ..controller.inputs import validate_mark
from ..sources import VirtualClock
from .context import CliContext


def parse_mark_at(text: str) -> list[tuple[float, str | None]]:
    """`8:being-attentive,15` -> [(8.0, 'being-attentive'), (15.0, None)]."""
    marks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        seconds, _, tag = item.partition(":")
        try:
            at = float(seconds)
        except ValueError as exc:
            raise InvalidInput(f"--mark-at: {seconds!r} is not a number of seconds") from exc
        if at < 0:
            raise InvalidInput(f"--mark-at: {seconds!r} is before the session starts")
        validate_mark(tag or None, None)
        marks.append((at, tag or None))
    return sorted(marks, key=lambda mark: mark[0])


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--simulate", action="store_true", help="use the simulated sources")
    parser.add_argument("--seconds", type=float, required=True, help="length of the session")
    parser.add_argument("--case", help="case code (letters, digits, '-'; never a name)")
    parser.add_argument("--mark-at", default="", help="e.g. 8:being-attentive,15")
    parser.add_argument(
        "--fast", action="store_true", help="simulate on a virtual clock, as fast as the CPU allows"
    )
    parser.set_defaults(handler=run_record)


def run_record(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.seconds <= 0:
        raise InvalidInput("--seconds must be positive")
    marks = parse_mark_at(args.mark_at)
    clock = headless_clock(simulate=args.simulate, fast=args.fast)
    parts = build_parts(ctx.config, ctx.data_dir, simulate=args.simulate, clock=clock)
    terminated = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: terminated.set())
    try:
        virtual = clock if isinstance(clock, VirtualClock) else None
        return _record(parts, args, marks, virtual, terminated)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _record(parts, args, marks, clock, terminated: threading.Event) -> int:
    controller = parts.controller
    controller.warm_up()
    step = clock.run_until if clock is not None else _sleep_until(parts.clock, terminated)
    step(parts.clock.now() + 0.5)
    session_id = controller.start(args.case)
    started = parts.clock.now()
    try:
        next_poll = started + 1.0
        pending = list(marks)
        end = started + args.seconds
        while (
            parts.clock.now() < end
            and controller.status()["state"] == "recording"
            and not terminated.is_set()
        ):
            target = min([end, next_poll] + [started + at for at, _ in pending[:1]])
            step(target)
            while pending and parts.clock.now() >= started + pending[0][0]:
                _, tag = pending.pop(0)
                controller.mark(tag=tag)
            if parts.clock.now() >= next_poll:
                controller.poll()
                next_poll += 1.0
    finally:
        if controller.status()["state"] == "recording":
            controller.stop(reason="terminated (SIGTERM)" if terminated.is_set() else "stopped")
        controller.wait_idle()
        controller.shutdown()
    print(session_id)
    sys.stdout.flush()
    return 0


def _sleep_until(clock, terminated: threading.Event):
    def step(target: float) -> None:
        delay = target - clock.now()
        if delay > 0:
            terminated.wait(delay)

    return step
