"""One part of a session: an MP4 file in a durable sink, and what is known about it."""

from __future__ import annotations

from dataclasses import dataclass

from .durable_sink import DurableSink
from .muxer import FragmentedMuxer


@dataclass
class PartSummary:
    """What the recorder tells the controller about a part (media seconds, plaintext bytes)."""

    index: int
    start_time: float
    end_time: float | None = None
    frames: int = 0
    media_bytes: int = 0
    padding_bytes: int = 0
    closed: bool = False


class OpenPart:
    """A part being written: its muxer, its sink and its summary kept together."""

    def __init__(self, summary: PartSummary, sink: DurableSink, muxer: FragmentedMuxer) -> None:
        self.summary = summary
        self.sink = sink
        self.muxer = muxer
        self.audio_end: int | None = None  # set when the part is ending

    def refresh(self) -> None:
        self.summary.frames = self.muxer.video_frames
        self.summary.media_bytes = self.sink.media_bytes
        self.summary.padding_bytes = self.sink.padding_bytes

    def begin_end(self, end_time: float) -> None:
        """The next part starts at `end_time`; this one only waits for its last audio."""
        self.summary.end_time = end_time
        self.audio_end = self.muxer.audio_end_sample(end_time)

    def audio_complete(self) -> bool:
        return self.audio_end is not None and self.muxer.audio_next_sample >= self.audio_end

    def close(self) -> None:
        end = self.summary.end_time
        self.muxer.close(end)
        if end is None:
            self.summary.end_time = self.muxer.last_video_time + 1 / self.muxer.media.fps
        self.sink.close()
        self.refresh()
        self.summary.closed = True
