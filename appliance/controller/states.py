"""The controller's states and the only moves between them (DESIGN.md "Controller states").

The LEDs, the button and the panel read these words from the `state` event, so they are
spelled here once. Every change of state goes through `check_transition`: a move that is
not in the table is a bug in the controller, refused before anything is published.
"""

from __future__ import annotations

from .errors import InvalidTransition

IDLE = "idle"
RECORDING = "recording"
STOPPING = "stopping"
EXPORTING = "exporting"
#: A recording failed (the card, a source, the space reserve): the session is saved, and
#: the LEDs and the panel keep saying so until the next start, an export or a clear.
ERROR = "error"

#: idle → recording → stopping → idle, or → error when the recording failed, or →
#: exporting when a stick waited for the stop; an export ends in idle. The error state is
#: left by a start that succeeds, by an export (which frees the card), or by a clear.
TRANSITIONS: dict[str, frozenset[str]] = {
    IDLE: frozenset({RECORDING, EXPORTING}),
    RECORDING: frozenset({STOPPING}),
    STOPPING: frozenset({IDLE, ERROR, EXPORTING}),
    EXPORTING: frozenset({IDLE}),
    ERROR: frozenset({RECORDING, EXPORTING, IDLE}),
}

STATES = frozenset(TRANSITIONS)

#: No worker is running: a start or an export may begin, the sources may cool down.
SETTLED = frozenset({IDLE, ERROR})


def check_transition(current: str, new: str) -> None:
    """Refuse a move that the table does not allow (raises InvalidTransition)."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"The controller cannot go from {current!r} to {new!r}.")
