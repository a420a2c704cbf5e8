"""What the panel's views need, built once by `create_app` and kept on the app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..config import Config
from .login_limiter import LoginLimiter
from .phone_time import PhoneTimeGate
from .pin_store import PinStore
from .streams import SharedPreview, Slots

AuditSink = Callable[..., None]


@dataclass
class PanelParts:
    config: Config
    controller: Any
    pin_store: PinStore
    limiter: LoginLimiter
    audit: AuditSink
    device_clock: Any
    health: Any
    preview_slots: Slots
    status_slots: Slots
    preview: SharedPreview
    stop_event: threading.Event
    virtual_button: Any | None
    phone_time: PhoneTimeGate


def parts() -> PanelParts:
    return current_app.extensions["vig_panel"]
