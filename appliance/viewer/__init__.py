"""The offline viewer: one self-contained HTML file, built from `web/`, carried as package data.

The page itself is JavaScript (see `web/`), built on a development or CI machine by
`provisioning/dev.sh` from pinned npm packages and put into the wheel; the Pi never runs
Node. This module only hands the built file to the exporter and the CLI, and says what its
SHA-256 is, because a viewer that asks for the practitioner's key must be checkable against
a published hash.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from ..errors import ApplianceError

VIEWER_NAME = "vig-viewer.html"


class ViewerMissing(ApplianceError, FileNotFoundError):
    """This installation carries no built viewer."""

    code = "viewer_missing"
    hint = ("Build it with provisioning/dev.sh setup (it needs Debian's nodejs and npm), "
            "or install the appliance from a wheel built that way.")


@cache
def viewer_bytes() -> bytes:
    """The built viewer, exactly as published; cached, since it never changes in a process."""
    built = resources.files(__package__).joinpath("dist", VIEWER_NAME)
    try:
        return built.read_bytes()
    except FileNotFoundError as exc:
        raise ViewerMissing(f"the viewer ({VIEWER_NAME}) has not been built") from exc


@cache
def viewer_sha256() -> str:
    """Computed once: the panel's page and every export's README name it."""
    return hashlib.sha256(viewer_bytes()).hexdigest()
