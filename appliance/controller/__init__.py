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
    MarksSealed,
    NotRecording,
    SessionInUse,
    UnknownMark,
)
from .machine import Controller
from .protocol import ControllerApi

__all__ = [
    "AlreadyRecording",
    "Busy",
    "Controller",
    "ControllerApi",
    "ControllerError",
    "InvalidInput",
    "InvalidTransition",
    "MarksSealed",
    "NotRecording",
    "SessionInUse",
    "UnknownMark",
]
