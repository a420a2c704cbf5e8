"""What a stranger on the Wi-Fi can make waitress hold: nothing on the SD card.

A huge upload must be refused after its headers, and a phone that stops reading the
preview must make the writer wait, not spool frames to a temporary file. Bytes read are
counted on the server (the channel's recv), since the client's count includes what the
kernel buffers. Spooling is observed where waitress does it, OverflowableBuffer's switch
to a TempfileBasedBuffer: the files are made with tempfile.TemporaryFile, which on Linux
are unlinked at once (O_TMPFILE), so a look at the temp directory alone could miss them.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time

import pytest
import waitress.buffers
import waitress.channel

from appliance.config import Config, PanelConfig
from tests.controls.fake_controller import FakeController

from .conftest import running_panel

UPLOAD_BYTES = 300_000_000
MAX_READ_BYTES = 64 * 1024
#: The most the test client sends before giving up; far above the cap, far below 300 MB.
SEND_LIMIT_BYTES = 16 * 1024 * 1024
#: Not a JPEG waitress or the fitter can parse (no start-of-frame), so sent as is: big
#: frames fill the kernel's socket buffers within a second.
BIG_FRAME = b"\xff\xd8" + bytes(range(256)) * 2048


class BigFrameController(FakeController):
    def preview_jpeg(self):
        return BIG_FRAME


@pytest.fixture
def controller():
    return BigFrameController()


@pytest.fixture
def watch(monkeypatch, tmp_path):
    """Counts bytes the server reads and buffers spilled to files; temp dir is tmp_path."""
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_dir))
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    seen = {"read": 0, "spills": 0, "dir": temp_dir}
    lock = threading.Lock()
    original_recv = waitress.channel.HTTPChannel.recv
    original_spill = waitress.buffers.OverflowableBuffer._set_large_buffer

    def counting_recv(self, buffer_size):
        data = original_recv(self, buffer_size)
        with lock:
            seen["read"] += len(data)
        return data

    def counting_spill(self):
        with lock:
            seen["spills"] += 1
        return original_spill(self)

    monkeypatch.setattr(waitress.channel.HTTPChannel, "recv", counting_recv)
    monkeypatch.setattr(waitress.buffers.OverflowableBuffer, "_set_large_buffer", counting_spill)
    return seen


@pytest.fixture
def server(make_app, data_dir, watch):
    config = Config(data_dir=str(data_dir), panel=PanelConfig(preview_fps=20.0))
    with running_panel(make_app, config, threads=8) as (running, user):
        yield running, user.client.get_cookie("vig_panel").value
    assert not running.thread.is_alive()


def test_a_300_mb_upload_is_refused_after_at_most_64_kib(server, watch):
    running, _ = server
    sock = socket.create_connection((running.host, running.port), timeout=2)
    sock.sendall(
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % UPLOAD_BYTES
    )
    chunk, sent = b"p" * 65536, 0
    try:
        while sent < SEND_LIMIT_BYTES:
            sent += sock.send(chunk)
    except OSError:
        pass  # refused: the server closed the connection, or stopped reading it
    reply = b""
    with contextlib.suppress(OSError):
        reply = sock.recv(4096)
    sock.close()
    time.sleep(0.5)  # let the server's loop catch up with anything still in flight
    assert reply == b"" or reply.startswith(b"HTTP/1.1 413")
    assert watch["read"] <= MAX_READ_BYTES, f"the server read {watch['read']} bytes"
    assert watch["spills"] == 0
    assert list(watch["dir"].iterdir()) == []


def test_a_preview_nobody_reads_is_not_spooled_to_a_file(server, watch):
    running, cookie = server
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(5)
    sock.connect((running.host, running.port))
    sock.sendall(
        b"GET /api/preview.mjpeg HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Cookie: vig_panel=" + cookie.encode() + b"\r\n\r\n"
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    time.sleep(4)  # the phone stops reading; 20 frames a second of 512 KiB keep coming
    sock.close()
    time.sleep(0.5)
    assert watch["spills"] == 0
    assert list(watch["dir"].iterdir()) == []
