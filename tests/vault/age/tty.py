"""Drive a command that reads a passphrase from its terminal (`age -p`) through a pty."""

from __future__ import annotations

import os
import pty
import select
import time


def run_with_terminal(argv: list[str], passphrase: str, timeout: float = 120.0) -> int:
    """Run `argv` on a new pty, typing `passphrase` at each passphrase prompt.

    Returns the exit code. The child's terminal output is only used to know when a prompt
    was shown, never to judge the result.
    """
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    shown = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed its terminal
                break
            if not data:
                break
            shown += data
            if shown.lower().count(b"passphrase") > answered:
                os.write(fd, passphrase.encode() + b"\n")
                answered += 1
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
