#!/usr/bin/env python3
"""Talk to the running virtual Pi: qemu's monitor (QMP) and the guest agent (QGA).

Used by provisioning/virtual-pi.sh; standard library only, so it runs with the host's
python3. Both sockets speak JSON lines. The guest agent runs commands as root in the guest
and hands back their status and output, so the guest needs no network and no login.

    control.py --run-dir DIR ping [--wait SECONDS]
    control.py --run-dir DIR exec [--timeout SECONDS] -- CMD...
    control.py --run-dir DIR qmp COMMAND [JSON-ARGUMENTS]
    control.py --run-dir DIR plug-stick IMAGE
    control.py --run-dir DIR unplug-stick
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any

STICK_NODE = "vig-stick"
STICK_DEVICE = "vig-stick-usb"
GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ControlError(RuntimeError):
    """The monitor or the guest agent refused, or did not answer in time."""


class JsonLines:
    """One JSON-lines connection to a unix socket."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rwb")

    def send(self, message: dict[str, Any]) -> None:
        self.file.write(json.dumps(message).encode() + b"\n")
        self.file.flush()

    def receive(self) -> dict[str, Any]:
        line = self.file.readline()
        if not line:
            raise ControlError("the socket closed")
        return json.loads(line)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class Monitor:
    """qemu's QMP socket: commands answer with "return" or "error"; events come between."""

    def __init__(self, run_dir: Path, timeout: float = 30.0) -> None:
        self.conn = JsonLines(run_dir / "qmp.sock", timeout)
        self.conn.receive()
        self.events: list[dict[str, Any]] = []
        self.command("qmp_capabilities")

    def command(self, name: str, **arguments: Any) -> Any:
        message: dict[str, Any] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.conn.send(message)
        while True:
            reply = self.conn.receive()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise ControlError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            elif "return" in reply:
                return reply["return"]

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["event"] == name:
                    self.events.remove(event)
                    return event
            if time.monotonic() > deadline:
                raise ControlError(f"no {name} event within {timeout:.0f} s")
            self.events.append(self.conn.receive())


class GuestAgent:
    """The qemu-guest-agent inside the guest, reached over a virtio serial port.

    A fresh connection may hold a previous client's unread replies, so each session starts
    with guest-sync and a random id, and skips everything before the matching reply.
    """

    def __init__(self, run_dir: Path, timeout: float = 10.0) -> None:
        self.run_dir, self.timeout = run_dir, timeout
        self.conn = JsonLines(run_dir / "qga.sock", timeout)
        token = random.randrange(1, 2**31)
        self.conn.send({"execute": "guest-sync", "arguments": {"id": token}})
        while self.conn.receive().get("return") != token:
            pass

    def command(self, name: str, **arguments: Any) -> Any:
        message: dict[str, Any] = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.conn.send(message)
        reply = self.conn.receive()
        if "error" in reply:
            raise ControlError(f"{name}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")

    def run(self, argv: list[str], timeout: float) -> tuple[int, bytes, bytes]:
        """Start argv, then poll it over fresh connections: the agent's port takes one
        client at a time, and a long command must not lock every other caller out."""
        started = self.command(
            "guest-exec",
            path=argv[0],
            arg=argv[1:],
            env=[f"PATH={GUEST_PATH}", "LC_ALL=C.UTF-8", "HOME=/root"],
            **{"capture-output": True},
        )
        pid = started["pid"]
        self.conn.close()
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            agent = GuestAgent(self.run_dir, timeout=self.timeout)
            try:
                status = agent.command("guest-exec-status", pid=pid)
            finally:
                agent.conn.close()
            if status["exited"]:
                break
            if time.monotonic() > deadline:
                raise ControlError(f"{argv[0]} still running after {timeout:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        out = base64.b64decode(status.get("out-data", ""))
        err = base64.b64decode(status.get("err-data", ""))
        if "signal" in status:
            return 128 + status["signal"], out, err
        return status.get("exitcode", 1), out, err


def wait_for_agent(run_dir: Path, seconds: float) -> float:
    """Seconds until the guest agent answered; ControlError when it never did."""
    start = time.monotonic()
    while True:
        try:
            agent = GuestAgent(run_dir, timeout=3.0)
            agent.command("guest-ping")
            agent.conn.close()
            return time.monotonic() - start
        except (OSError, ControlError):
            if time.monotonic() - start > seconds:
                message = f"the guest agent did not answer within {seconds:.0f} s"
                raise ControlError(message) from None
            time.sleep(1.0)


def plug_stick(run_dir: Path, image: Path) -> None:
    monitor = Monitor(run_dir)
    monitor.command(
        "blockdev-add",
        driver="raw",
        **{"node-name": STICK_NODE},
        file={"driver": "file", "filename": str(image.resolve())},
    )
    try:
        monitor.command(
            "device_add", driver="usb-storage", bus="xhci.0", drive=STICK_NODE,
            id=STICK_DEVICE, removable=True,
        )
    except ControlError:
        monitor.command("blockdev-del", **{"node-name": STICK_NODE})
        raise


def unplug_stick(run_dir: Path) -> None:
    monitor = Monitor(run_dir)
    monitor.command("device_del", id=STICK_DEVICE)
    monitor.wait_event("DEVICE_DELETED", timeout=30.0)
    monitor.command("blockdev-del", **{"node-name": STICK_NODE})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="control.py")
    parser.add_argument("--run-dir", type=Path, required=True)
    sub = parser.add_subparsers(dest="what", required=True)
    ping = sub.add_parser("ping")
    ping.add_argument("--wait", type=float, default=0.0)
    run = sub.add_parser("exec")
    run.add_argument("--timeout", type=float, default=600.0)
    run.add_argument("argv", nargs="+")
    qmp = sub.add_parser("qmp")
    qmp.add_argument("name")
    qmp.add_argument("arguments", nargs="?", default="{}")
    plug = sub.add_parser("plug-stick")
    plug.add_argument("image", type=Path)
    sub.add_parser("unplug-stick")
    args = parser.parse_args(argv)
    try:
        if args.what == "ping":
            print(f"{wait_for_agent(args.run_dir, args.wait):.1f}")
        elif args.what == "exec":
            status, out, err = GuestAgent(args.run_dir).run(args.argv, args.timeout)
            sys.stdout.buffer.write(out)
            sys.stderr.buffer.write(err)
            return status
        elif args.what == "qmp":
            reply = Monitor(args.run_dir).command(args.name, **json.loads(args.arguments))
            print(json.dumps(reply))
        elif args.what == "plug-stick":
            plug_stick(args.run_dir, args.image)
        elif args.what == "unplug-stick":
            unplug_stick(args.run_dir)
    except (OSError, ControlError) as exc:
        print(f"virtual-pi: {args.what}: {exc}", file=sys.stderr)
        return 125
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
