"""Long-lived responses: the MJPEG preview and the Server-Sent Events status stream.

Each holds one server thread for as long as a phone shows it, so both are capped
(`Slots`): with the server's thread count above the caps, a Mark never waits behind a
preview. The preview pulls frames from the controller only while someone watches, at
most `fps` a second and at most `max_width` pixels wide; the status stream forwards the
controller's events, with a `heartbeat` every second. Both end when the client goes away,
when the same phone opens the stream again and takes the slot over, or when the server
stops.

The heartbeat does three jobs: it carries the device's monotonic time, from which the
page learns its offset to stamp a tap on the device's clock; its absence tells the page
the device went silent (SSE comments never reach a page, named events do); and it keeps
data in flight, so that TCP_USER_TIMEOUT drops a phone that vanished within ~20 s.
"""

from __future__ import annotations

import json
import struct
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from ..events import EventBus

BOUNDARY = "frame"
HEARTBEAT_SECONDS = 1.0
HEALTH_EVERY_SECONDS = 5.0
#: How often a stream asks whether its phone has gone (the server sees a closed
#: connection at once; the stream then ends and frees its slot).
CLIENT_CHECK_SECONDS = 0.25


class Slot:
    """One stream's place: it ends when released, or when its owner's newer stream takes
    it over (`ended` is set then, and the stream stops at its next wake)."""

    def __init__(self, slots: Slots, owner: str) -> None:
        self.owner = owner
        self.ended = threading.Event()
        self._slots = slots

    def release(self) -> None:
        """Give the place back (safe to call twice, and after a takeover)."""
        self._slots._release(self)


class Slots:
    """Concurrent streams with a hard cap, each held by an owner (a phone's login).

    A freed place is reusable at once. When all are taken and the owner asking already
    holds one (the same phone reloading its page before the old connection is noticed
    gone), its oldest is taken over rather than the phone refused.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._held: list[Slot] = []

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._held)

    def acquire(self, owner: str) -> Slot | None:
        """A place for `owner`, or None when all are taken by others."""
        with self._lock:
            if len(self._held) >= self.limit:
                own = [slot for slot in self._held if slot.owner == owner]
                if not own:
                    return None
                self._held.remove(own[0])
                own[0].ended.set()
            slot = Slot(self, owner)
            self._held.append(slot)
            return slot

    def _release(self, slot: Slot) -> None:
        with self._lock:
            if slot in self._held:
                self._held.remove(slot)
            slot.ended.set()


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame marker, or None if none is found."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


class JpegFitter:
    """Downscales preview JPEGs wider than `max_width` (PyAV, imported only if needed)."""

    def __init__(self, max_width: int) -> None:
        self.max_width = max_width

    def fit(self, jpeg: bytes) -> bytes:
        size = jpeg_size(jpeg)
        if size is None or size[0] <= self.max_width:
            return jpeg
        import av

        width = self.max_width - self.max_width % 2
        height = max(2, round(size[1] * width / size[0] / 2) * 2)
        decoder = av.CodecContext.create("mjpeg", "r")
        frames = list(decoder.decode(av.Packet(jpeg))) + list(decoder.decode(None))
        encoder = av.CodecContext.create("mjpeg", "w")
        encoder.width, encoder.height = width, height
        encoder.pix_fmt = "yuvj420p"
        encoder.time_base = Fraction(1, 10)
        scaled = frames[0].reformat(width=width, height=height, format="yuvj420p")
        packets = list(encoder.encode(scaled)) + list(encoder.encode(None))
        return b"".join(bytes(p) for p in packets)


class SharedPreview:
    """One preview picture per frame interval, shared by every viewer.

    The camera's picture is turned into a JPEG under a lock: making it is not safe from
    two threads at once (PyAV reformats the camera's latest frame in place), and a second
    viewer need not cost a second encoding.
    """

    def __init__(
        self,
        source: Callable[[], bytes | None],
        fitter: JpegFitter,
        fps: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._fitter = fitter
        self._interval = 1.0 / fps
        self._clock = clock
        self._lock = threading.Lock()
        self._jpeg: bytes | None = None
        self._taken = float("-inf")

    def frame(self) -> bytes | None:
        with self._lock:
            now = self._clock()
            if self._jpeg is None or now - self._taken >= self._interval * 0.9:
                jpeg = self._source()
                self._jpeg = self._fitter.fit(jpeg) if jpeg else None
                self._taken = now
            return self._jpeg


def mjpeg_frames(
    preview: Callable[[], bytes | None],
    fps: float,
    stop_event: threading.Event,
    slot: Slot,
    client_gone: Callable[[], bool],
) -> Iterator[bytes]:
    interval = 1.0 / fps
    due = time.monotonic()
    while not (stop_event.is_set() or slot.ended.is_set() or client_gone()):
        jpeg = preview()
        if jpeg:
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            ).encode()
            yield head + jpeg + b"\r\n"
        due = max(due + interval, time.monotonic())
        slot.ended.wait(max(0.0, due - time.monotonic()))


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def heartbeat(device_monotonic: float) -> bytes:
    return sse("heartbeat", {"monotonic": round(device_monotonic, 4)})


def status_events(
    events: EventBus,
    snapshot: Callable[[], dict[str, Any]],
    health: Callable[[], dict[str, Any]],
    stop_event: threading.Event,
    slot: Slot,
    *,
    device_clock: Callable[[], float],
    client_gone: Callable[[], bool],
    keep_warm: Callable[[], None] = lambda: None,
) -> Iterator[bytes]:
    """The current status, then every controller event, with a heartbeat every second
    (the device's monotonic time, `device_clock`) and health readings between.

    While the page is open a start is likely, so each health reading also keeps the camera
    warm (`keep_warm`), and the first recorded frame can follow a Start within 150 ms.
    """
    subscription = events.subscribe(maxsize=256)
    try:
        yield sse("status", snapshot())
        yield heartbeat(device_clock())
        yield sse("health", health())
        next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
        next_health = time.monotonic() + HEALTH_EVERY_SECONDS
        while not (stop_event.is_set() or slot.ended.is_set() or client_gone()):
            wait = min(CLIENT_CHECK_SECONDS, next_heartbeat - time.monotonic())
            event = subscription.get(timeout=max(0.0, wait))
            if event is not None:
                yield sse(event.type, event.as_dict())
            now = time.monotonic()
            if now >= next_heartbeat:
                next_heartbeat = now + HEARTBEAT_SECONDS
                yield heartbeat(device_clock())
            if now >= next_health:
                next_health = now + HEALTH_EVERY_SECONDS
                keep_warm()
                yield sse("health", health())
    finally:
        subscription.close()
