"""The panel's cookies: the signed session cookie with a Max-Age, and the phone's token.

Flask's session cookie carries only `Expires`, an absolute date on the wall clock, and
the device's clock may be years off after power-on (and a phone's too): with it alone a
cookie could be born expired, or live on. `Max-Age` counts from when the phone received
it, on the phone's own clock, and wins over `Expires` wherever both are understood
(RFC 6265 §5.3), so both cookies carry it.

Flask also refuses a session cookie whose signature's timestamp is older than the
lifetime, on the device's wall clock: a phone setting the clock a day ahead logged every
phone out. The device's own record of the login (`login_sessions`, on uptime) decides
how long a login lasts, so the signature is checked without that age.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask import Response as FlaskResponse
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature
from werkzeug.wrappers import Response

from .remembered_devices import DEVICE_COOKIE_MAX_AGE, DEVICE_COOKIE_NAME

SESSION_COOKIE_NAME = "vig_panel"


class _SetCookieWithMaxAge:
    """The response as Flask's session code sees it, with `max_age` added to set_cookie."""

    def __init__(self, response: Response, max_age: int) -> None:
        self._response = response
        self._max_age = max_age

    def set_cookie(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_age", self._max_age)
        self._response.set_cookie(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)


class MaxAgeSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, whose cookie also carries Max-Age, and whose age is
    not judged by the wall clock."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            return self.session_class(serializer.loads(value))
        except BadSignature:
            return self.session_class()

    def save_session(self, app: Flask, session: SessionMixin, response: FlaskResponse) -> None:
        """Every session cookie gets Max-Age, the one before login (only its CSRF token)
        too: the login's lifetime is the longest any of them needs."""
        max_age = int(app.permanent_session_lifetime.total_seconds())
        wrapped: Any = _SetCookieWithMaxAge(response, max_age)
        super().save_session(app, session, wrapped)


def set_device_cookie(response: Response, token: str) -> None:
    """The remembered phone's token: HttpOnly, SameSite=Strict, kept for 400 days."""
    response.set_cookie(
        DEVICE_COOKIE_NAME,
        token,
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Strict",
        path="/",
    )
