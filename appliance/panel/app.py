"""The phone panel's Flask app, built by `create_app` from parts passed in (no globals).

Flask's tutorial is the model: an app factory, blueprints (auth, pages, api), templates
and plain static files shipped in the package (no CDN, no build step).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from ..config import Config
from ..errors import ApplianceError
from . import api, auth, pages, simulation
from .cookies import SESSION_COOKIE_NAME, MaxAgeSessionInterface
from .device_clock import DeviceClock, SimulatedDeviceClock
from .health import Health, SimulatedHealth
from .login_guard import LoginGuard, build_login_guard
from .login_sessions import ABSOLUTE_SECONDS
from .parts import AuditSink, PanelParts
from .phone_time import PhoneTimeGate
from .pin_store import PinStore, load_or_create_secret
from .security_headers import NO_STORE, SECURITY_HEADERS
from .server_guards import PHONE_SEEN
from .streams import JpegFitter, SharedPreview, Slots
from .uptime import Uptime

if TYPE_CHECKING:
    from ..controller import ControllerApi
    from ..controls.virtual_button import VirtualButton

log = logging.getLogger(__name__)



def _default_audit(controller: ControllerApi) -> AuditSink:
    vault = getattr(controller, "vault", None)
    audit_log = getattr(vault, "audit", None)
    if audit_log is not None and hasattr(audit_log, "append"):
        return audit_log.append

    def log_only(event: str, **fields: Any) -> None:
        log.warning("audit (no vault audit log): %s %s", event, fields)

    return log_only


def create_app(
    config: Config,
    controller: ControllerApi,
    *,
    pin_store: PinStore,
    secret_path: Path,
    audit: AuditSink | None = None,
    device_clock: DeviceClock | None = None,
    health: Health | None = None,
    virtual_button: VirtualButton | None = None,
    stop_event: threading.Event | None = None,
    login_clock: Callable[[], float] = time.monotonic,
    boot_id: Callable[[], str] | None = None,
    login_guard: LoginGuard | None = None,
) -> Flask:
    """The panel app. `virtual_button` is given only in simulation (it drives the mock pin);
    `device_clock` and `health` default to their simulated twins, so a Pi must pass the
    real ones (SystemDeviceClock, VcgencmdHealth). `login_guard` is given when the button
    shares its login window; else one is built over the data dir holding `secret_path`,
    timed by `login_clock` (uptime) and `boot_id`."""
    app = Flask(__name__)
    app.session_interface = MaxAgeSessionInterface()
    app.config.update(
        SECRET_KEY=load_or_create_secret(secret_path),
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=int(ABSOLUTE_SECONDS),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    panel = config.panel
    if login_guard is None:
        uptime = Uptime(login_clock) if boot_id is None else Uptime(login_clock, boot_id)
        login_guard = build_login_guard(
            Path(secret_path).parent,
            failures_per_minute=panel.login_failures_per_minute,
            uptime=uptime,
        )
    app.extensions["vig_panel"] = PanelParts(
        config=config,
        controller=controller,
        pin_store=pin_store,
        guard=login_guard,
        audit=audit or _default_audit(controller),
        device_clock=device_clock or SimulatedDeviceClock(trusted=panel.simulated_clock_trusted),
        health=health or SimulatedHealth(),
        preview_slots=Slots(panel.preview_max_viewers),
        status_slots=Slots(panel.status_max_streams),
        preview=SharedPreview(
            controller.preview_jpeg, JpegFitter(panel.preview_max_width), panel.preview_fps
        ),
        stop_event=stop_event or threading.Event(),
        virtual_button=virtual_button,
        phone_time=PhoneTimeGate(login_clock),
    )
    app.before_request(_note_a_phone)
    app.before_request(auth.check_state_change)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    if virtual_button is not None:
        app.register_blueprint(simulation.bp)
    app.after_request(_security_headers)
    app.register_error_handler(ApplianceError, _appliance_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _note_a_phone() -> None:
    """Tell the server (server_guards) that this request's address is a logged-in phone:
    its requests then skip the limit on strangers and the queue."""
    phone_seen = request.environ.get(PHONE_SEEN)
    if phone_seen is not None and auth.is_logged_in():
        phone_seen()


def _security_headers(response):
    for name, value in SECURITY_HEADERS:
        response.headers[name] = value
    if request.endpoint != "static":
        response.headers[NO_STORE[0]] = NO_STORE[1]
    return response


def status_for(exc: ApplianceError) -> int:
    """HTTP status by the built-in an error resembles (never by its text): a refused
    command or bad input is 400 with the reason in plain words; a failing device is 503."""
    if isinstance(exc, OSError):
        return 503
    return 400


def _appliance_error(exc: ApplianceError):
    response = api.error_response(status_for(exc), exc.code, exc.user_message())
    return response


def _http_error(exc: HTTPException):
    if request.path.startswith("/api/") and exc.code is not None:
        if exc.response is not None:
            return exc.response
        return api.error_response(exc.code, "http", exc.description or exc.name)
    return exc
