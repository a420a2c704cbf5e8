"""Benchmark: how long a phone that vanished (no FIN, no RST) holds its stream slots.

A phone that walks out of range or whose battery dies just stops answering: the panel
learns nothing until TCP gives up. With waitress alone that took ~15 minutes (the
kernel's tcp_retries2); the panel sets TCP_USER_TIMEOUT (20 s) on every accepted socket
and its status stream sends a heartbeat every second, so data is always in flight.

The bench runs as root in a network namespace of its own (it re-runs itself under
`unshare --net`): the panel on 10.42.0.1, and the phone in a second namespace on
10.42.0.2, joined by a veth pair. The phone logs in and reads the status stream and the
preview, then stops answering: a `tc` token-bucket filter with a 1-byte burst on its
side of the pair drops everything it sends (its ACKs), while the panel's packets still
reach it, as when a phone leaves the AP's range. It measures the time until each slot is
free, with TCP_USER_TIMEOUT set (the panel) and without it (waitress's default, the
baseline, waited for at most --baseline-wait s).

    sudo .venv/bin/python bench/bench_dead_client.py [--baseline-wait 120]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.assembly import build_parts
from appliance.config import Config, PanelConfig, RecordingConfig
from appliance.panel import server_guards
from appliance.panel.app import create_app
from appliance.panel.pin_store import PinStore, panel_files
from appliance.panel.server import TCP_USER_TIMEOUT_MS, serve_panel

PIN = "24681357"
IN_NAMESPACE = "VIG_BENCH_IN_NETNS"


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


PANEL_ADDRESS, PHONE_ADDRESS = "10.42.0.1", "10.42.0.2"
CUT_THE_PHONE_OFF = ("tc", "qdisc", "add", "dev", "vb", "root", "tbf", "rate", "8bit",
                     "burst", "1", "latency", "1ms")  # fmt: skip


def reexec_in_a_network_namespace() -> int:
    missing = [tool for tool in ("unshare", "nsenter", "ip", "tc") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        print(f"needs root and {', '.join(missing) or 'nothing else'} (util-linux, iproute2)",
              file=sys.stderr)  # fmt: skip
        return 2
    env = {**os.environ, IN_NAMESPACE: "1"}
    return subprocess.run(["unshare", "--net", sys.executable, *sys.argv], env=env).returncode


class Phone:
    """The phone: this script in `--phone` mode, in a network namespace of its own."""

    def __init__(self, port: int) -> None:
        run("ip", "link", "add", "va", "type", "veth", "peer", "name", "vb")
        self.process = subprocess.Popen(
            ["unshare", "--net", sys.executable, __file__, "--phone", str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        pid = str(self.process.pid)  # unshare execs python: the same process
        time.sleep(0.5)
        run("ip", "link", "set", "vb", "netns", pid)
        run("ip", "addr", "add", f"{PANEL_ADDRESS}/24", "dev", "va")
        run("ip", "link", "set", "va", "up")
        inside = ("nsenter", "-t", pid, "-n")
        run(*inside, "ip", "addr", "add", f"{PHONE_ADDRESS}/24", "dev", "vb")
        run(*inside, "ip", "link", "set", "vb", "up")
        self.inside = inside
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line.strip() == "open", line

    def stop_answering(self) -> None:
        run(*self.inside, *CUT_THE_PHONE_OFF)

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        subprocess.run(["ip", "link", "del", "va"], check=False, capture_output=True)


def phone(port: int) -> int:
    """Log in, open the status stream and the preview, and read them until killed."""
    sys.stdin.readline()
    cookie = log_in(PANEL_ADDRESS, port)
    streams = [open_stream(PANEL_ADDRESS, port, cookie, p) for p in STREAM_PATHS]
    print("open", flush=True)
    for response in streams:
        threading.Thread(target=drain, args=(response,), daemon=True).start()
    threading.Event().wait()
    return 0


def drain(response: http.client.HTTPResponse) -> None:
    try:
        while response.read1(65536):
            pass
    except OSError:
        return


STREAM_PATHS = ("/api/events", "/api/preview.mjpeg")


def log_in(host: str, port: int) -> str:
    import re

    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())[1]
    connection.request(
        "POST", "/login", body=f"pin={PIN}&csrf_token={token}",
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.getheader("Set-Cookie").split(";")[0]


def open_stream(host: str, port: int, cookie: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(host, port, timeout=600)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    assert response.status == 200, (path, response.status)
    response.read1(4096)
    return response


def measure(app, stop: threading.Event, with_user_timeout: bool, wait_at_most: float) -> dict:
    """Seconds from cutting the link until each of the phone's stream slots is free."""
    original = server_guards.PanelTcpServer.set_socket_options
    if not with_user_timeout:
        server_guards.PanelTcpServer.set_socket_options = (  # type: ignore[method-assign]
            server_guards.TcpWSGIServer.set_socket_options
        )
    server = serve_panel(app, "0.0.0.0", 0, stop, threads=8)
    parts = app.extensions["vig_panel"]
    the_phone = Phone(server.port)
    try:
        time.sleep(1.0)
        the_phone.stop_answering()
        cut = time.monotonic()
        freed: dict[str, float] = {}
        while len(freed) < 2 and time.monotonic() - cut < wait_at_most:
            for name, slots in (("status", parts.status_slots), ("preview", parts.preview_slots)):
                if name not in freed and slots.in_use == 0:
                    freed[name] = time.monotonic() - cut
            time.sleep(0.05)
        return freed
    finally:
        the_phone.close()
        server_guards.PanelTcpServer.set_socket_options = original  # type: ignore[method-assign]
        stop.set()
        server.join(10)


def describe(name: str, freed: dict, wait_at_most: float) -> None:
    parts = [
        f"{stream} {freed[stream]:.1f} s" if stream in freed else f"{stream} > {wait_at_most:.0f} s"
        for stream in ("status", "preview")
    ]
    print(f"  {name:<34} slot freed after: {', '.join(parts)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-wait", type=float, default=120.0)
    parser.add_argument("--phone", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phone:
        return phone(args.phone)
    if not os.environ.get(IN_NAMESPACE):
        return reexec_in_a_network_namespace()
    run("ip", "link", "set", "lo", "up")
    with tempfile.TemporaryDirectory(prefix="bench-dead-") as tmp:
        data_dir = Path(tmp) / "data"
        config = Config(
            data_dir=str(data_dir),
            recording=RecordingConfig(width=320, height=240, fps=10),
            panel=PanelConfig(),
        )
        parts = build_parts(config, data_dir, simulate=True, usb_dir=Path(tmp) / "usb")
        pin_path, secret_path = panel_files(data_dir)
        PinStore(pin_path).set(PIN)
        parts.controller.warm_up()
        print(f"a phone vanishes with the status stream and the preview open "
              f"(TCP_USER_TIMEOUT {TCP_USER_TIMEOUT_MS / 1000:.0f} s):")  # fmt: skip
        results = {}
        for name, with_timeout, wait in (
            ("panel (TCP_USER_TIMEOUT)", True, 60.0),
            ("baseline (kernel default)", False, args.baseline_wait),
        ):
            stop = threading.Event()
            app = create_app(config, parts.controller, pin_store=PinStore(pin_path),
                             secret_path=secret_path, stop_event=stop)  # fmt: skip
            results[name] = measure(app, stop, with_timeout, wait)
            describe(name, results[name], wait)
        parts.controller.shutdown()
    panel = results["panel (TCP_USER_TIMEOUT)"]
    if len(panel) == 2:
        print(f"goal (freed within ~30 s): {'ok' if max(panel.values()) <= 30 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
