"""`vig-unpack SOURCE --identity KEY [--out DIR] [--devices FILE]`: open an export stick.

Runs anywhere Python and PyAV run (Linux, macOS, Windows): nothing Pi-specific is imported.
Exit status: 0 everything unpacked; 1 some files failed (the rest were still written);
2 a usage error or a key that does not open the recordings.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ..errors import ApplianceError
from ..vault.session_files import CONSENT_NOT_RECORDED
from .devices import AcceptedDevices, default_devices_path
from .errors import KeyUnusable, NothingToUnpack, UsageError, WrongKey
from .identity import load_identities
from .progress import Progress
from .provenance import check_provenance
from .report import clock_text, write_overview
from .session import DELETE_BY, SessionUnpacker, consent_line
from .source import SessionSource, check_files, find_sessions

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vig-unpack",
        description=(
            "Check, decrypt and unpack sessions exported by a VIG appliance: one MP4 per "
            "session, one per marked clip, marks.csv, a contact sheet and index.html."
        ),
    )
    parser.add_argument("source", help="the stick, its VIG-EXPORT folder, or one session folder")
    parser.add_argument("--identity", "-i", required=True, metavar="KEY",
                        help="your age key file (a passphrase-protected one is asked for)")
    parser.add_argument("--out", "-o", metavar="DIR",
                        help="where to write (default: VIG-<date>-<time> in this folder)")
    parser.add_argument("--devices", metavar="FILE",
                        help="the device keys you have accepted (default: devices.json in "
                             "your config folder, vig/); a new device is added to it")
    return parser


def _is_inside(path: Path, root: Path) -> bool:
    return path.resolve() == root.resolve() or root.resolve() in path.resolve().parents


def choose_out(out_arg: str | None, source_root: Path, cwd: Path) -> Path:
    """The output folder; the default may not lie on the stick (plaintext stays off it)."""
    if out_arg:
        return Path(out_arg).expanduser()
    out = cwd / time.strftime("VIG-%Y%m%d-%H%M%S")
    if _is_inside(out, source_root):
        raise UsageError(
            f"This folder ({cwd}) is on the stick: decrypted videos would land there. "
            "Run vig-unpack from another folder, or pass --out explicitly."
        )
    return out


def run(
    args: argparse.Namespace, ask_passphrase: Callable[[str], str], stream: TextIO, cwd: Path
) -> int:
    sessions, root = find_sessions(Path(args.source).expanduser())
    out = choose_out(args.out, root, cwd)
    identities = load_identities(Path(args.identity).expanduser(), ask_passphrase)
    devices_path = (
        Path(args.devices).expanduser() if args.devices else default_devices_path(os.environ)
    )
    devices = AcceptedDevices.load(devices_path)
    total = sum(f.size for s in sessions for f in s.files())
    progress = Progress(2 * total, stream)
    for session in sessions:
        progress.step(f"checking {session.id}")
        check_files(session, progress.add)
    for line in check_provenance(sessions, devices):
        progress.say(f"vig-unpack: WARNING: {line}")
    out.mkdir(parents=True, exist_ok=True)
    unpacker = SessionUnpacker(identities, progress)
    failed = False
    overview = []
    wrong_key: list[WrongKey] = []
    for session in sessions:
        try:
            outcome = unpacker.unpack(session, out)
        except WrongKey as exc:
            wrong_key.append(exc)
            progress.say(f"vig-unpack: FAILED: {exc}")
            continue
        progress.say(f"vig-unpack: {session.id}: {consent_line(outcome.consent)}")
        for line in outcome.warnings:
            progress.say(f"vig-unpack: note: {line}")
        for line in outcome.failures:
            progress.say(f"vig-unpack: FAILED: {line}")
        failed = failed or bool(outcome.failures)
        overview.append((session.id, outcome.title, _summary(session, outcome)))
    if wrong_key and not overview:
        with contextlib.suppress(OSError):
            out.rmdir()  # only if nothing at all was written
        raise wrong_key[0]
    failed = failed or bool(wrong_key)
    write_overview(out / "index.html", overview)
    progress.finish()
    print(f"vig-unpack: {len(sessions)} session(s) written to {out}"
          + (" (some files failed, see above)" if failed else ""), file=stream)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _summary(session: SessionSource, outcome) -> str:
    parts = [clock_text(outcome.duration_s), f"{len(outcome.clips)} clip(s)"]
    if session.interrupted:
        parts.append("interrupted")
    delete_by = dict(outcome.consent).get(DELETE_BY)
    if delete_by is not None:
        parts.append(f"delete every copy by {delete_by}")
    elif outcome.consent:
        parts.append(f"consent {CONSENT_NOT_RECORDED}")
    if session.untrusted:
        parts.append("UNTRUSTED")
    if outcome.failures:
        parts.append(f"{len(outcome.failures)} problem(s)")
    return "— " + ", ".join(parts)


def main(
    argv: Sequence[str] | None = None,
    *,
    ask_passphrase: Callable[[str], str] = getpass.getpass,
    stream: TextIO | None = None,
    cwd: Path | None = None,
) -> int:
    stream = stream if stream is not None else sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        return run(args, ask_passphrase, stream, cwd if cwd is not None else Path.cwd())
    except NothingToUnpack as exc:
        print(f"vig-unpack: {exc.user_message()}", file=stream)
        return EXIT_USAGE
    except ApplianceError as exc:
        print(f"vig-unpack: {exc.user_message()}", file=stream)
        return EXIT_USAGE if isinstance(exc, UsageError | WrongKey | KeyUnusable) else 1
    except KeyboardInterrupt:
        print("vig-unpack: interrupted", file=stream)
        return 130


if __name__ == "__main__":
    sys.exit(main())
