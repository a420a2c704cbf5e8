"""Preview and status streams over a real waitress server: caps, sizes, rates, events."""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import struct
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
def stream_app(make_app, data_dir):
    return make_app(
        Config(data_dir=str(data_dir), panel=PanelConfig(preview_fps=10.0)),
        stop_event=threading.Event(),
    )


@pytest.fixture
def server(stream_app):
    stop = stream_app.extensions["vig_panel"].stop_event
    running = serve_panel(stream_app, "127.0.0.1", 0, stop, threads=10)
    cookie_client = LoggedIn(stream_app.test_client())
    cookie = cookie_client.client.get_cookie("vig_panel").value
    yield running, cookie, cookie_client
    stop.set()
    running.join(10)
    assert not running.thread.is_alive()


@pytest.fixture
def new_phone(stream_app):
    """Logs another phone in (a login of its own) and gives its cookie."""
    return lambda: LoggedIn(stream_app.test_client()).client.get_cookie("vig_panel").value


def open_stream(server_info, path: str, cookie: str | None = None):
    running, own_cookie, _ = server_info
    connection = http.client.HTTPConnection(running.host, running.port, timeout=5)
    connection.request("GET", path, headers={"Cookie": f"vig_panel={cookie or own_cookie}"})
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


def test_a_third_phones_preview_is_refused_until_one_leaves(server, controller, new_phone):
    first = open_stream(server, "/api/preview.mjpeg")
    second = open_stream(server, "/api/preview.mjpeg", new_phone())
    assert first[1].status == second[1].status == 200
    third_phone = new_phone()
    third_connection, third = open_stream(server, "/api/preview.mjpeg", third_phone)
    assert third.status == 503
    assert b"already open on 2 phones" in third.read()
    close((third_connection, third))
    close(first)

    def a_viewer_is_let_in() -> bool:
        connection, response = open_stream(server, "/api/preview.mjpeg", third_phone)
        connection.close()
        return response.status == 200

    assert wait_until(a_viewer_is_let_in, timeout=5, interval=0.2)
    close(second)


def test_no_frames_are_taken_without_a_viewer(server, controller):
    time.sleep(0.3)
    assert controller.preview_calls == 0


def read_events(
    response, wanted: str | None, seconds: float = 3.0, skip: tuple[str, ...] = ("heartbeat",)
) -> list[tuple[str, str]]:
    """The events read until `wanted` arrives (or `seconds` pass), without those in `skip`."""
    events, current, deadline = [], None, time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = response.fp.readline().decode().rstrip("\n")
        if not line and response.fp.peek(1) == b"":
            break  # the stream ended
        if line.startswith("event: "):
            current = line[len("event: ") :]
        elif line.startswith("data: ") and current not in skip:
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


def test_status_stream_beats_every_second_with_the_devices_monotonic_time(server, controller):
    connection, response = open_stream(server, "/api/events")
    started = time.monotonic()
    beats = [
        json.loads(data)["monotonic"]
        for name, data in read_events(response, None, seconds=3.5, skip=())
        if name == "heartbeat"
    ]
    close((connection, response))
    assert len(beats) in (4, 5)  # one at once, then one a second
    assert abs(beats[0] - started) < 0.5  # the fake controller's clock is time.monotonic
    gaps = [later - earlier for earlier, later in itertools.pairwise(beats)]
    assert all(0.9 <= gap <= 1.3 for gap in gaps), gaps


def wait_for(condition, seconds: float = 5.0) -> float:
    """Seconds until `condition()` held (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "it did not happen"
        time.sleep(0.01)
    return time.monotonic() - started


def reset(stream) -> None:
    """The phone's connection ends abruptly (RST): the server's next write fails."""
    _, response = stream
    sock = response.fp.raw._sock  # http.client hands its socket to the streaming response
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    close(stream)


FREED_WITHIN_SECONDS = 0.5


@pytest.mark.parametrize("ending", [reset, close], ids=["reset", "closed"])
@pytest.mark.parametrize(
    ("path", "slots_name"),
    [("/api/events", "status_slots"), ("/api/preview.mjpeg", "preview_slots")],
)
def test_a_phone_leaving_frees_its_stream_slot_at_once_for_another(
    server, stream_app, new_phone, path, slots_name, ending
):
    """The server keeps reading a connection while its stream runs, so a phone closing it
    (or resetting it) is seen at once, the stream ends and another phone may take it."""
    slots = getattr(stream_app.extensions["vig_panel"], slots_name)
    holders = [open_stream(server, path, new_phone()) for _ in range(slots.limit)]
    assert all(response.status == 200 for _, response in holders)
    late_phone = new_phone()
    refused = open_stream(server, path, late_phone)
    assert refused[1].status == 503
    close(refused)
    ending(holders[0])
    freed_after = wait_for(lambda: slots.in_use < slots.limit)
    print(
        f"\n{path}: slot freed {freed_after * 1000:.0f} ms after the phone left ({ending.__name__})"
    )
    assert freed_after < FREED_WITHIN_SECONDS
    taken = open_stream(server, path, late_phone)
    assert taken[1].status == 200
    for stream in [taken, *holders[1:]]:
        close(stream)


def test_the_same_phone_reloading_takes_its_own_old_streams_over(server, stream_app, new_phone):
    slots = stream_app.extensions["vig_panel"].status_slots
    old_page = [open_stream(server, "/api/events") for _ in range(slots.limit)]
    assert all(response.status == 200 for _, response in old_page)
    stranger = open_stream(server, "/api/events", new_phone())
    assert stranger[1].status == 503
    close(stranger)
    reloaded = open_stream(server, "/api/events")  # the old connections are not yet seen gone
    assert reloaded[1].status == 200
    assert slots.in_use == slots.limit
    oldest = old_page[0][1]
    ended_after = wait_for(lambda: oldest.read1(65536) == b"")  # the end of its body
    assert ended_after < 2.0
    for stream in [reloaded, *old_page[1:]]:
        close(stream)


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
