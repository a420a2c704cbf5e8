"""Preview and status streams over a real waitress server: caps, sizes, rates, events."""

from __future__ import annotations

import http.client
import threading
import time
from fractions import Fraction

import pytest

from appliance.config import Config, PanelConfig
from appliance.panel.server import serve_panel
from appliance.panel.streams import jpeg_size
from tests.controls.fake_controller import FakeController
from tests.support.waiting import wait_until

from .conftest import LoggedIn


def wide_jpeg() -> bytes:
    import av
    import numpy as np

    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = 1280, 720
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 10)
    frame = av.VideoFrame.from_ndarray(
        np.full((720, 1280, 3), 90, dtype=np.uint8), format="rgb24"
    ).reformat(format="yuvj420p")
    return b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])


class WideCameraController(FakeController):
    def __init__(self):
        super().__init__()
        self.wide = wide_jpeg()
        self.preview_calls = 0

    def preview_jpeg(self):
        self.preview_calls += 1
        return self.wide


@pytest.fixture
def controller():
    return WideCameraController()


@pytest.fixture
def server(make_app, data_dir):
    stop = threading.Event()
    config = Config(data_dir=str(data_dir), panel=PanelConfig(preview_fps=10.0))
    app = make_app(config, stop_event=stop)
    running = serve_panel(app, "127.0.0.1", 0, stop, threads=8)
    cookie_client = LoggedIn(app.test_client())
    cookie = cookie_client.client.get_cookie("vig_panel").value
    yield running, cookie, cookie_client
    stop.set()
    running.join(10)
    assert not running.thread.is_alive()


def open_stream(server_info, path: str):
    running, cookie, _ = server_info
    connection = http.client.HTTPConnection(running.host, running.port, timeout=5)
    connection.request("GET", path, headers={"Cookie": f"vig_panel={cookie}"})
    return connection, connection.getresponse()


def close(stream) -> None:
    connection, response = stream
    response.close()
    connection.close()


def read_frames(response, seconds: float) -> list[bytes]:
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = response.fp.readline()
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
            response.fp.readline()
            frames.append(response.fp.read(length))
    return frames


def test_preview_is_mjpeg_at_most_640_wide_and_10_fps(server, controller):
    connection, response = open_stream(server, "/api/preview.mjpeg")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("multipart/x-mixed-replace")
    frames = read_frames(response, 1.0)
    close((connection, response))
    assert 5 <= len(frames) <= 11
    assert jpeg_size(frames[0]) == (640, 360)


def test_a_third_preview_viewer_is_refused_until_one_leaves(server, controller):
    first = open_stream(server, "/api/preview.mjpeg")
    second = open_stream(server, "/api/preview.mjpeg")
    assert first[1].status == second[1].status == 200
    third_connection, third = open_stream(server, "/api/preview.mjpeg")
    assert third.status == 503
    assert b"already open on 2 phones" in third.read()
    close((third_connection, third))
    close(first)

    def a_viewer_is_let_in() -> bool:
        connection, response = open_stream(server, "/api/preview.mjpeg")
        connection.close()
        return response.status == 200

    assert wait_until(a_viewer_is_let_in, timeout=5, interval=0.2)
    close(second)


def test_no_frames_are_taken_without_a_viewer(server, controller):
    time.sleep(0.3)
    assert controller.preview_calls == 0


def read_events(response, wanted: str, seconds: float = 3.0) -> list[tuple[str, str]]:
    events, current, deadline = [], None, time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = response.fp.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            current = line[len("event: ") :]
        elif line.startswith("data: "):
            events.append((current, line[len("data: ") :]))
            if current == wanted:
                break
    return events


def test_status_stream_sends_status_then_controller_events(server, controller):
    connection, response = open_stream(server, "/api/events")
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/event-stream")
    first = read_events(response, "health")
    assert [name for name, _ in first] == ["status", "health"]
    assert "under" not in first[0][1]
    assert controller.warm_ups >= 1  # an open page keeps the camera warm for a quick start
    controller.start()
    controller.mark(tag="guiding")
    events = read_events(response, "mark")
    assert [name for name, _ in events] == ["state", "session", "mark"]
    assert '"tag":"guiding"' in events[-1][1]
    close((connection, response))


def test_a_mark_is_quick_while_previews_and_streams_are_open(server, controller):
    _, _, user = server
    streams = [open_stream(server, "/api/preview.mjpeg") for _ in range(2)]
    streams += [open_stream(server, "/api/events") for _ in range(2)]
    assert all(response.status == 200 for _, response in streams)
    running, cookie, user = server
    controller.start()
    connection = http.client.HTTPConnection(running.host, running.port, timeout=5)
    connection.request(
        "POST",
        "/api/mark",
        body=b"{}",
        headers={
            "Cookie": f"vig_panel={cookie}",
            "X-CSRF-Token": user.csrf,
            "Content-Type": "application/json",
        },
    )
    assert connection.getresponse().status == 200
    assert len(controller.marks) == 1
    for stream in streams:
        close(stream)


def test_viewers_share_one_preview_made_one_at_a_time():
    from appliance.panel.streams import JpegFitter, SharedPreview

    in_flight, most, calls = 0, 0, 0
    lock = threading.Lock()

    def source() -> bytes:
        nonlocal in_flight, most, calls
        with lock:
            in_flight += 1
            calls += 1
            most = max(most, in_flight)
        time.sleep(0.005)
        with lock:
            in_flight -= 1
        return b"\xff\xd8not-really-a-jpeg"

    shared = SharedPreview(source, JpegFitter(640), fps=10)
    stop = time.monotonic() + 0.5

    def viewer() -> None:
        while time.monotonic() < stop:
            assert shared.frame() is not None

    threads = [threading.Thread(target=viewer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert 1 <= calls <= 7
