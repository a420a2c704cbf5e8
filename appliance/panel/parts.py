"""What the panel's views need, built once by `create_app` and kept on the app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from ..config import Config
from .device_clock import DeviceClock
from .health import Health
from .login_guard import LoginGuard
from .phone_time import PhoneTimeGate
from .pin_store import PinStore
from .streams import SharedPreview, Slots

if TYPE_CHECKING:
    from ..controller import ControllerApi
    from ..controls.virtual_button import VirtualButton

AuditSink = Callable[..., None]


@dataclass
class PanelParts:
    config: Config
    controller: ControllerApi
    pin_store: PinStore
    guard: LoginGuard
    audit: AuditSink
    device_clock: DeviceClock
    health: Health
    preview_slots: Slots
    status_slots: Slots
    preview: SharedPreview
    stop_event: threading.Event
    virtual_button: VirtualButton | None
    phone_time: PhoneTimeGate


def parts() -> PanelParts:
    return current_app.extensions["vig_panel"]
