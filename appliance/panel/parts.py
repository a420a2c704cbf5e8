"""What the panel's views need, built once by `create_app` and kept on the app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..config import Config
from .login_guard import LoginGuard
from .pin_store import PinStore
from .streams import SharedPreview, Slots

AuditSink = Callable[..., None]


@dataclass
class PanelParts:
    config: Config
    controller: Any
    pin_store: PinStore
    guard: LoginGuard
    audit: AuditSink
    device_clock: Any
    health: Any
    preview_slots: Slots
    status_slots: Slots
    preview: SharedPreview
    stop_event: threading.Event
    virtual_button: Any | None


def parts() -> PanelParts:
    return current_app.extensions["vig_panel"]
