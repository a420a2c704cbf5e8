"""PIN login, the session cookie, the CSRF token and the Origin check.

The cookie is signed with the per-device secret, HttpOnly and SameSite=Strict, and holds
a session id that the device keeps too (`login_sessions`): logging out ends it on the
device, and a login lasts 12 hours at most. A login is also bound to the PIN's
fingerprint, so setting a new PIN logs every phone out. Who may try a PIN, and against
what each try counts, is `login_guard`'s business.

Every state-changing request must carry the session's CSRF token (header X-CSRF-Token
from fetch(), or a form field for the login form) and, when the browser names where it
comes from (`Origin`, `Sec-Fetch-Site`), come from the panel's own origin.
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

from .cookies import set_device_cookie
from .errors import PinNotSet
from .login_guard import REFUSED_PAUSED, Admission
from .parts import PanelParts, parts
from .pin_store import MAX_PIN_DIGITS, MIN_PIN_DIGITS
from .remembered_devices import DEVICE_COOKIE_NAME

bp = Blueprint("auth", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: `Sec-Fetch-Site` values of a request the panel's own page (or the user) made.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})


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
        fingerprint = parts().pin_store.fingerprint()
    except PinNotSet:
        return False
    if not hmac.compare_digest(marker, fingerprint):
        return False
    return parts().guard.sessions.is_live(session.get("sid"))


def _refuse(code: str, message: str) -> None:
    if request.path.startswith("/api/"):
        response = jsonify(error={"code": code, "message": message})
        response.status_code = 403
        abort(response)
    abort(403, description=message)


def check_origin() -> None:
    """Refuse a state-changing request another site's page sent (403).

    A browser names the page's origin in `Origin` on every cross-origin POST (and on
    same-origin ones today); when it does, it must be this panel's own. When a request
    carries no Origin (an old browser, or no browser), the CSRF token decides alone."""
    if request.method in SAFE_METHODS:
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    own_origin = request.host_url.rstrip("/")
    if (fetch_site is not None and fetch_site not in OWN_FETCH_SITES) or (
        origin is not None and origin.lower() != own_origin.lower()
    ):
        _refuse("cross_origin", "This request came from another web page, so it was refused.")


def check_csrf() -> None:
    """Refuse a state-changing request without this session's token (403)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        _refuse("csrf", "This request was not sent by the panel page. Reload the page.")


def check_state_change() -> None:
    check_origin()
    check_csrf()


def client_address() -> str:
    return request.remote_addr or "unknown"


def _login_page(message: str | None, status: int):
    window_s = parts().guard.window.seconds_left()
    return (
        render_template("login.html", message=message, csrf=csrf_token(), window_s=window_s),
        status,
    )


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def _refusal_message(p: PanelParts, admission: Admission) -> str:
    if admission.refused != REFUSED_PAUSED:
        return f"Too many wrong PINs. Try again in {_minutes(admission.wait_s)} minute(s)."
    gpio = p.config.gpio
    return (
        "Logging in from a new phone is paused: too many wrong PINs were tried on this "
        "device. Use a phone that logged in here before, or open a login window on the "
        f"device: while it is not recording, hold its button for {gpio.stop_hold_seconds:g} "
        f"seconds and let go before {gpio.shutdown_hold_seconds:g}."
    )


@bp.get("/login")
def login_form():
    if is_logged_in():
        return redirect(url_for("pages.index"))
    return _login_page(None, 200)


def _well_formed(pin: str) -> bool:
    return pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS


@bp.post("/login")
def login():
    p = parts()
    client = client_address()
    if not p.pin_store.is_set():
        return _login_page("No PIN is set yet: run 'vig-appliance panel set-pin'.", 503)
    pin = request.form.get("pin", "")
    if not _well_formed(pin):
        return _login_page("That PIN is not right.", 401)  # never checked, so no guess
    fingerprint = p.pin_store.fingerprint()
    device_token = request.cookies.get(DEVICE_COOKIE_NAME)
    device_id = p.guard.devices.recognise(device_token, fingerprint)
    admission = p.guard.admit(client, device_id)
    if admission.refused is not None:
        if p.guard.first_refusal(admission):
            p.audit(f"panel.login_refused_{admission.refused}",
                    wait_s=round(admission.wait_s))  # fmt: skip
        return _login_page(_refusal_message(p, admission), 429)
    right = p.pin_store.verify(pin)
    lockout = p.guard.settle(admission, right)
    if right:
        return _logged_in(p, client, fingerprint, device_token if device_id else None)
    p.audit("panel.login_failed", lockout_s=lockout)
    if lockout:
        return _login_page(f"Too many wrong PINs. Try again in {_minutes(lockout)} minute(s).", 429)
    return _login_page("That PIN is not right.", 401)


def _logged_in(p: PanelParts, client: str, fingerprint: str, device_token: str | None):
    p.guard.sessions.close(session.get("sid"))
    session.clear()
    session.permanent = True
    session["auth"] = fingerprint
    session["sid"] = p.guard.sessions.open()
    session["csrf"] = secrets.token_urlsafe(32)
    p.audit("panel.login")
    response = redirect(url_for("pages.index"))
    set_device_cookie(response, device_token or p.guard.devices.remember(fingerprint))
    return response


@bp.post("/logout")
def logout():
    parts().guard.sessions.close(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login_form"))
