"""systemd's notify protocol and the watchdog: pets come only from a healthy main loop."""

from __future__ import annotations

import socket
import threading

from appliance.errors import ApplianceError
from appliance.sd_notify import SystemdNotifier
from appliance.supervisor import Supervisor


def notify_socket(tmp_path):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    return sock, {"NOTIFY_SOCKET": str(path)}


def test_ready_and_watchdog_reach_the_notify_socket(tmp_path):
    sock, environ = notify_socket(tmp_path)
    with sock:
        notifier = SystemdNotifier(environ)
        notifier.ready()
        assert sock.recv(1024).split(b"\n")[0] == b"READY=1"
        notifier.watchdog()
        assert sock.recv(1024) == b"WATCHDOG=1"


def test_without_systemd_notifying_does_nothing():
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    notifier.ready()


class ScriptedController:
    """Healthy for the first polls, then its pipeline stalls, then poll itself fails."""

    def __init__(self, healthy_polls: int, failing_after: int) -> None:
        self.polls = 0
        self.healthy_polls = healthy_polls
        self.failing_after = failing_after
        self.done = threading.Event()

    def poll(self) -> None:
        self.polls += 1
        if self.polls >= self.failing_after:
            self.done.set()
            raise ApplianceError("poll failed")

    def healthy(self) -> bool:
        return self.polls <= self.healthy_polls


def test_the_watchdog_is_fed_only_after_healthy_polls(tmp_path):
    sock, environ = notify_socket(tmp_path)
    controller = ScriptedController(healthy_polls=3, failing_after=6)
    stop = threading.Event()
    supervisor = Supervisor(controller, SystemdNotifier(environ), interval=0.01)
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    assert controller.done.wait(5)
    stop.set()
    thread.join(5)
    sock.settimeout(0.2)
    pets = []
    try:
        while True:
            pets.append(sock.recv(1024))
    except TimeoutError:
        pass
    sock.close()
    assert pets == [b"WATCHDOG=1"] * 3
