"""PIN login, the session cookie and the CSRF token.

The cookie is signed with the per-device secret, HttpOnly and SameSite=Strict. A login
is bound to the PIN's fingerprint, so setting a new PIN logs every phone out. Every
state-changing request must carry the session's CSRF token (header X-CSRF-Token from
fetch(), or a form field for the login form).
"""

from __future__ import annotations

import hmac
import secrets

from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .errors import PinNotSet
from .parts import parts

bp = Blueprint("auth", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def is_logged_in() -> bool:
    marker = session.get("auth")
    if not marker:
        return False
    try:
        return hmac.compare_digest(marker, parts().pin_store.fingerprint())
    except PinNotSet:
        return False


def check_csrf() -> None:
    """Refuse a state-changing request without this session's token (403)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        if request.path.startswith("/api/"):
            response = jsonify(
                error={
                    "code": "csrf",
                    "message": "This request was not sent by the panel page. Reload the page.",
                }
            )
            response.status_code = 403
            abort(response)
        abort(403)


def client_address() -> str:
    return request.remote_addr or "unknown"


def _login_page(message: str | None, status: int):
    return render_template("login.html", message=message, csrf=csrf_token()), status


@bp.get("/login")
def login_form():
    if is_logged_in():
        return redirect(url_for("pages.index"))
    return _login_page(None, 200)


@bp.post("/login")
def login():
    p = parts()
    client = client_address()
    wait = p.limiter.locked_for(client)
    if wait > 0:
        if p.limiter.first_refusal(client):
            p.audit("panel.login_refused_locked", wait_s=round(wait))
        minutes = max(1, round(wait / 60))
        return _login_page(f"Too many wrong PINs. Try again in {minutes} minute(s).", 429)
    if not p.pin_store.is_set():
        return _login_page("No PIN is set yet: run 'vig-appliance panel set-pin'.", 503)
    pin = request.form.get("pin", "")
    if pin.isascii() and pin.isdigit() and p.pin_store.verify(pin):
        p.limiter.succeeded(client)
        session.clear()
        session.permanent = True
        session["auth"] = p.pin_store.fingerprint()
        session["csrf"] = secrets.token_urlsafe(32)
        p.audit("panel.login")
        return redirect(url_for("pages.index"))
    lockout = p.limiter.failed(client)
    p.audit("panel.login_failed", lockout_s=lockout)
    if lockout:
        minutes = max(1, round(lockout / 60))
        return _login_page(f"Too many wrong PINs. Try again in {minutes} minute(s).", 429)
    return _login_page("That PIN is not right.", 401)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login_form"))
