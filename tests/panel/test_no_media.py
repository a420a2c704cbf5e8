"""The panel never serves recorded media: no route, with any plausible argument, returns
the bytes of a session file, logged in or not."""

from __future__ import annotations

import secrets

from .url_walk import requests_for_every_route

SESSION_ID = "20261125-210000-abcd"
STREAM_READ_LIMIT = 256 * 1024
STREAM_CHUNK_LIMIT = 2


def read_some(response) -> bytes:
    """The whole body, or the first part of an endless stream (preview, events)."""
    if not response.is_streamed:
        return response.get_data()
    data = b""
    for count, chunk in enumerate(response.response, start=1):
        data += chunk
        if len(data) >= STREAM_READ_LIMIT or count >= STREAM_CHUNK_LIMIT:
            break
    response.close()
    return data


def test_no_route_returns_a_session_file(app, user, data_dir, controller, stop_event):
    marker = b"VIG-SESSION-BYTES-" + secrets.token_hex(16).encode()
    session_dir = data_dir / "sessions" / SESSION_ID
    session_dir.mkdir(parents=True)
    names = ("part-0001.mp4.age", "clip-0001.mp4.age", "mark-0001.json.age", "session.json.age")
    for name in names:
        (session_dir / name).write_bytes(marker + b"\0" * 1000 + marker)
    controller.stored[SESSION_ID] = {
        "id": SESSION_ID, "state": "complete", "started_at": 0.0, "duration_s": 1.0,
        "size_bytes": 2048, "mark_count": 1, "parts": 1, "files": [],
    }  # fmt: skip

    requested = 0
    for method, url, rule in requests_for_every_route(app, SESSION_ID):
        if rule.endpoint == "auth.logout":
            continue
        for query in ("", f"?path=sessions/{SESSION_ID}/part-0001.mp4.age&id={SESSION_ID}"):
            body = {"confirm": False, "id": SESSION_ID, "file": names[0]}
            if method == "GET":
                response = user.client.get(url + query, buffered=False)
            else:
                response = user.post(url + query, json=body, buffered=False)
            assert marker not in read_some(response), (method, url)
            requested += 1
    assert requested >= 20
    assert SESSION_ID in controller.stored
