"""The panel's JSON API: thin calls into the controller, after checking the input.

No decision about recording is made here: the controller refuses what it must (e.g.
deleting the session being recorded) and its error, with its plain message, is passed
back to the phone. Nothing here ever reads a session's files: the panel serves status,
never media.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, session

from ..controller.consent import TRUSTED_TIME_SOURCES
from . import inputs
from .auth import client_address, is_logged_in
from .parts import parts
from .server_guards import RECEIVED_AT
from .streams import BOUNDARY, mjpeg_frames, status_events

bp = Blueprint("api", __name__, url_prefix="/api")

SESSION_FIELDS = ("id", "state", "started_at", "duration_s", "mark_count", "consent_recorded")


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response


@bp.before_request
def require_login():
    if not is_logged_in():
        return error_response(401, "login-required", "Log in with the panel PIN first.")
    return None


def _clock_info(status: dict[str, Any]) -> dict[str, Any]:
    p = parts()
    trusted = p.device_clock.is_trusted()
    return {
        "trusted": trusted,
        "source": status.get("time_source"),
        "offer_phone_time": not trusted and status.get("time_source") != "phone",
    }


def _sessions() -> list[dict[str, Any]]:
    """The sessions on the card, newest first, with only what the list shows."""
    listed = parts().controller.sessions()
    rows = [{k: s.get(k) for k in SESSION_FIELDS} for s in listed]
    return sorted(rows, key=lambda row: row["id"] or "", reverse=True)


def snapshot() -> dict[str, Any]:
    status = dict(parts().controller.status())
    status["sessions"] = _sessions()
    status["consent_missing"] = [s["id"] for s in status["sessions"] if not s["consent_recorded"]]
    status["clock"] = _clock_info(status)
    status["simulate"] = parts().virtual_button is not None
    return status


def done(result: Any = None) -> Response:
    body: dict[str, Any] = {"ok": True}
    if isinstance(result, dict | int | float | str):
        body["result"] = result
    return jsonify(body)


@bp.get("/status")
def status():
    return jsonify(snapshot())


@bp.get("/sessions")
def sessions():
    return jsonify(sessions=_sessions())


@bp.post("/start")
def start():
    body = inputs.json_body(request)
    return done(parts().controller.start(case_code=inputs.case_code(body.get("case_code"))))


@bp.post("/mark")
def mark():
    """A mark at the moment of the tap: the page stamps it on the device's clock (learnt
    from the heartbeats), so a request held up in a busy server still lands on time."""
    controller = parts().controller
    body = inputs.json_body(request)
    tag = inputs.tag(body.get("tag"))
    note = inputs.note(body.get("note"))
    at = inputs.mark_moment(
        body.get("tapped_at"), request.environ.get(RECEIVED_AT), controller.clock.now()
    )
    return done(controller.mark(tag=tag, note=note, at=at))


@bp.post("/sessions/<session_id>/marks/<number>/tag")
def retag_mark(session_id: str, number: str):
    """A principle for a mark already made: the page names the session and the mark, so
    a tag meant for one family's session is refused once another is being recorded."""
    session_id, mark_number = inputs.session_id(session_id), inputs.mark_number(number)
    tag = inputs.tag(inputs.given(inputs.json_body(request), "tag", "which principle"))
    return done(parts().controller.retag_mark(session_id, mark_number, tag))


@bp.post("/sessions/<session_id>/marks/<number>/note")
def note_mark(session_id: str, number: str):
    session_id, mark_number = inputs.session_id(session_id), inputs.mark_number(number)
    note = inputs.note(inputs.given(inputs.json_body(request), "note", "the note"))
    return done(parts().controller.note_mark(session_id, mark_number, note))


@bp.post("/sessions/<session_id>/marks/<number>/remove")
def remove_mark(session_id: str, number: str):
    session_id, mark_number = inputs.session_id(session_id), inputs.mark_number(number)
    inputs.confirmed(inputs.json_body(request))
    parts().controller.remove_mark(session_id, mark_number)
    return done()


@bp.post("/stop")
def stop():
    inputs.json_body(request)
    return done(parts().controller.stop())


@bp.post("/clear-error")
def clear_error():
    inputs.json_body(request)
    parts().controller.clear_error()
    return done()


@bp.post("/sessions/<session_id>/delete")
def delete_session(session_id: str):
    body = inputs.json_body(request)
    session_id = inputs.session_id(session_id)
    inputs.confirmed(body)
    parts().controller.delete_session(session_id)
    return done()


@bp.post("/sessions/<session_id>/consent")
def record_consent(session_id: str):
    """The family's consent for a session: given at Start, or later in the sessions list,
    and replaceable until the session is exported (the controller refuses after)."""
    body = inputs.json_body(request)
    session_id = inputs.session_id(session_id)
    return done(parts().controller.record_consent(session_id, inputs.consent(body)))


#: Where a wall-clock time comes from that the device believes (beside synchronisation).
BELIEVED_TIME_SOURCES = TRUSTED_TIME_SOURCES


@bp.post("/time")
def set_time():
    """The phone's time, if the device may take it now (`phone_time.PhoneTimeGate`)."""
    p = parts()
    body = inputs.json_body(request)
    seconds = inputs.epoch_seconds(body)
    believed = (
        p.device_clock.is_trusted()
        or p.controller.status().get("time_source") in BELIEVED_TIME_SOURCES
    )
    if not p.phone_time.admit(seconds, believed=believed, confirmed=body.get("confirm") is True):
        return done({"system_clock_set": False, "unchanged": True})
    applied = p.device_clock.set_time(seconds)
    p.controller.set_wall_clock_from_phone(seconds)
    p.audit("panel.time_from_phone", system_clock_set=applied)
    return done({"system_clock_set": applied})


def client_gone():
    """Whether this request's phone has closed its connection (waitress tells; the test
    client never does)."""
    return request.environ.get("waitress.client_disconnected", lambda: False)


def stream_owner() -> str:
    """Who holds a stream: this login (its CSRF token is unique to it) from this address,
    so a phone reloading its page takes its own old streams over."""
    return f"{client_address()} {session.get('csrf', '')}"


@bp.get("/preview.mjpeg")
def preview():
    p = parts()
    slot = p.preview_slots.acquire(stream_owner())
    if slot is None:
        return error_response(
            503,
            "preview_busy",
            f"The preview is already open on {p.preview_slots.limit} phones. "
            "Close it on one of them, then try again.",
        )
    frames = mjpeg_frames(
        p.preview.frame, p.config.panel.preview_fps, p.stop_event, slot, client_gone()
    )
    response = Response(frames, mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}")
    response.call_on_close(slot.release)
    return response


@bp.get("/events")
def events():
    p = parts()
    slot = p.status_slots.acquire(stream_owner())
    if slot is None:
        return error_response(
            503, "status_busy", "Too many pages are open on this device. Close one and reload."
        )
    p.controller.warm_up()  # a page is open: a start is likely, so the camera stays warm
    stream = status_events(
        p.controller.events,
        snapshot_in_app(),
        p.health.read,
        p.stop_event,
        slot,
        device_clock=p.controller.clock.now,
        client_gone=client_gone(),
        keep_warm=p.controller.warm_up,
    )
    response = Response(stream, mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(slot.release)
    return response


def snapshot_in_app():
    """`snapshot` bound to this app, for use from the streaming generator."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def take() -> dict[str, Any]:
        with app.app_context():
            return snapshot()

    return take
