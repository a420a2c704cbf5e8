"""controller box: the one state machine, its errors, its input rules and its session metadata.

Everything else reaches the controller through this package:
`from appliance.controller import Controller`.
"""

from .errors import (
    AlreadyRecording,
    Busy,
    ControllerError,
    InvalidInput,
    InvalidTransition,
    NotRecording,
    SessionInUse,
)
from .machine import Controller

__all__ = [
    "AlreadyRecording",
    "Busy",
    "Controller",
    "ControllerError",
    "InvalidInput",
    "InvalidTransition",
    "NotRecording",
    "SessionInUse",
]
