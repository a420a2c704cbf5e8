"""What the controller writes about a session, beyond the media itself.

The metadata is encrypted (session.json.age): it may hold the case code, but never a
recipient's key, only a short fingerprint of it, so a file shows who could open it
without being a key list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ..config import RecordingConfig
from ..sources.types import Camera, Microphone


def recipient_fingerprint(recipient: object) -> str:
    """A short, non-reversible label of a public key for the session metadata."""
    return hashlib.sha256(str(recipient).encode()).hexdigest()[:16]


def session_metadata(
    case_code: str | None,
    *,
    wall_clock_start: float,
    time_source: str,
    camera: Camera,
    microphone: Microphone,
    recording: RecordingConfig,
    recipients: Iterable[object],
) -> dict[str, Any]:
    return {
        "case_code": case_code,
        "wall_clock_start": wall_clock_start,
        "wall_clock_source": time_source,
        "settings": {
            "width": camera.width,
            "height": camera.height,
            "fps": camera.fps,
            "bitrate": recording.bitrate,
            "audio_sample_rate": microphone.sample_rate,
            "pre_roll": recording.pre_roll,
            "post_roll": recording.post_roll,
        },
        "recipient_fingerprints": [recipient_fingerprint(r) for r in recipients],
    }
