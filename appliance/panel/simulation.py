"""Routes that exist only in simulation: the virtual button, driving the mock pin."""

from __future__ import annotations

from flask import Blueprint, request

from . import inputs
from .api import done, error_response
from .auth import is_logged_in
from .parts import parts

bp = Blueprint("simulation", __name__, url_prefix="/api/sim")


@bp.before_request
def require_login():
    if not is_logged_in():
        return error_response(401, "login-required", "Log in with the panel PIN first.")
    return None


@bp.post("/button")
def virtual_button():
    button = parts().virtual_button
    if inputs.pressed(inputs.json_body(request)):
        button.press()
    else:
        button.release()
    return done()
