"""Reading a recorded session back as a practitioner's laptop would: decrypt, then decode.

Pictures are read through their time strip (the capture time burnt in by the synthetic
camera); sound is decoded as one continuous sample stream, played back to back as a
player would, and scanned for beep onsets without keeping the whole hour in memory.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from appliance.sources import decode_strip
from appliance.vault.age import AgeReader, salvage

FLASH_LUMA = 200


def decrypt(path: Path, identity) -> bytes:
    with open(path, "rb") as source:
        return AgeReader(source, [identity]).read()


def salvage_bytes(path: Path, identity) -> tuple[bytes, object]:
    out = io.BytesIO()
    with open(path, "rb") as source:
        report = salvage(source, [identity], out)
    return out.getvalue(), report


def read_json(path: Path, identity) -> dict:
    return json.loads(decrypt(path, identity))


@dataclass
class Media:
    codecs: set[str] = field(default_factory=set)
    strip_ms: list[int] = field(default_factory=list)
    frame_times: list[float] = field(default_factory=list)
    flash_times: list[float] = field(default_factory=list)
    first_keyframe: bool = False
    audio_start: float | None = None
    audio_rate: int = 48000
    audio_samples: int = 0
    beep_onsets: list[float] = field(default_factory=list)

    @property
    def video_duration(self) -> float:
        if len(self.frame_times) < 2:
            return 0.0
        step = (self.frame_times[-1] - self.frame_times[0]) / (len(self.frame_times) - 1)
        return self.frame_times[-1] - self.frame_times[0] + step


class _OnsetFinder:
    """Finds where the sound rises above a threshold after at least `quiet` seconds."""

    def __init__(self, rate: int, threshold: float = 0.2, quiet: float = 0.5) -> None:
        self.rate, self.threshold, self.quiet_samples = rate, threshold, int(quiet * rate)
        self.last_loud = -(10**12)
        self.onsets: list[int] = []

    def feed(self, first_index: int, samples: np.ndarray) -> None:
        for offset in np.flatnonzero(np.abs(samples) > self.threshold):
            index = first_index + int(offset)
            if index - self.last_loud > self.quiet_samples:
                self.onsets.append(index)
            self.last_loud = index


def analyse(data: bytes, width: int) -> Media:
    media = Media()
    with av.open(io.BytesIO(data)) as container:
        media.codecs = {stream.codec_context.name for stream in container.streams}
        for index, frame in enumerate(container.decode(video=0)):
            if index == 0:
                media.first_keyframe = bool(frame.key_frame)
            luma = frame.to_ndarray(format="gray")
            media.strip_ms.append(decode_strip(luma, width))
            media.frame_times.append(float(frame.time))
            below_strip = luma[luma.shape[0] // 4 :]
            if float(below_strip.mean()) > FLASH_LUMA:
                media.flash_times.append(float(frame.time))
    if "aac" in media.codecs:
        _analyse_audio(data, media)
    return media


def _analyse_audio(data: bytes, media: Media) -> None:
    finder = None
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            if finder is None:
                media.audio_start = float(frame.time)
                media.audio_rate = frame.sample_rate
                finder = _OnsetFinder(frame.sample_rate)
            samples = frame.to_ndarray()[0]
            finder.feed(media.audio_samples, samples)
            media.audio_samples += samples.shape[0]
    if finder is not None:
        media.beep_onsets = [media.audio_start + i / media.audio_rate for i in finder.onsets]


def av_offsets(media: Media) -> list[float]:
    """For each flash, the offset (s) of the nearest beep onset; beep later = positive."""
    offsets = []
    for flash in media.flash_times:
        nearest = min(media.beep_onsets, key=lambda onset: abs(onset - flash), default=None)
        assert nearest is not None, f"no beep at all for the flash at {flash:.3f} s"
        offsets.append(nearest - flash)
    return offsets
