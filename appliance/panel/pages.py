"""The one page of the panel (the rest is plain JS talking to the API)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ..tags import MARK_TAGS, MAX_NOTE_LENGTH
from .auth import csrf_token, is_logged_in
from .parts import parts

bp = Blueprint("pages", __name__)


@bp.before_request
def require_login():
    if not is_logged_in():
        return redirect(url_for("auth.login_form"))
    return None


@bp.get("/")
def index():
    return render_template(
        "index.html",
        csrf=csrf_token(),
        tags=MARK_TAGS,
        max_note=MAX_NOTE_LENGTH,
        simulate=parts().virtual_button is not None,
    )
