"""The one page of the panel (the rest is plain JS talking to the API)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ..controller.consent import ANSWERS as CONSENT_ANSWERS
from ..tags import MARK_TAGS, MAX_NOTE_LENGTH
from ..viewer import ViewerMissing, viewer_sha256
from .auth import csrf_token, is_logged_in
from .parts import parts

bp = Blueprint("pages", __name__)

PANEL_PARTS: tuple[str, ...] = ("sound", "consent", "marks")
"""The page's scripts beside panel.js, each one part of the panel (static/NAME.js), loaded
after it and talking to it through window.vigPanel."""


@bp.before_request
def require_login():
    if not is_logged_in():
        return redirect(url_for("auth.login_form"))
    return None


def _viewer_hash() -> str | None:
    """The SHA-256 the practitioner checks the laptop's viewer against (None if not built)."""
    try:
        return viewer_sha256()
    except ViewerMissing:
        return None


@bp.get("/")
def index():
    return render_template(
        "index.html",
        csrf=csrf_token(),
        tags=MARK_TAGS,
        max_note=MAX_NOTE_LENGTH,
        simulate=parts().virtual_button is not None,
        viewer_sha256=_viewer_hash(),
        panel_parts=PANEL_PARTS,
        consent_answers=CONSENT_ANSWERS,
    )
