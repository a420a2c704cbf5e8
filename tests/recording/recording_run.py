"""Drive a Recorder through a scene on virtual time (inline, deterministic)."""

from __future__ import annotations

from appliance.config import RecordingConfig
from appliance.recording.recorder import Recorder
from appliance.sources.types import EncodedFrame

from .scenario import Scene


def small_config(**changes) -> RecordingConfig:
    base = {"width": 320, "height": 240, "fps": 10}
    base.update(changes)
    return RecordingConfig(**base)


def run_scene(scene: Scene, session, config: RecordingConfig | None = None, marks=()):
    """Feed the scene; `marks` are (number, capture time) made when that time is reached."""
    recorder = Recorder(session, config or small_config(fps=scene.fps), threaded=False)
    pending = sorted(marks, key=lambda m: m[1])
    for event in scene.events():
        now = event.capture_time
        while pending and pending[0][1] <= now:
            recorder.add_mark(*pending.pop(0))
        if isinstance(event, EncodedFrame):
            recorder.on_frame(event)
        else:
            recorder.on_audio(event)
    recorder.stop()
    return recorder
