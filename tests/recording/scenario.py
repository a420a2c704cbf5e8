"""A recorded scene for tests: numbered pictures, a flash with a beep, a skewed microphone.

Everything runs on virtual time: capture times are computed, nothing sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from appliance.sources.types import AudioBlock, EncodedFrame

from .h264_fixture import H264Stream

BEEP_HZ = 1000.0


@dataclass
class Scene:
    width: int = 320
    height: int = 240
    fps: int = 10
    seconds: float = 6.0
    flash_every: float = 5.0
    mic_rate: int = 48_000
    skew_ppm: float = 0.0
    block: int = 960
    start: float = 1000.0  # shared-clock time of the first picture
    audio_lead: float = 0.3  # the microphone starts this long before the camera
    beep_seconds: float = 0.1
    jitter: float = 0.0  # block timestamps are off by up to ± this (seconds), seeded
    flashes: list[float] = field(default_factory=list)  # capture times of flash frames

    def frames(self, stream: H264Stream | None = None):
        stream = stream or H264Stream(self.width, self.height, self.fps)
        count = round(self.seconds * self.fps)
        every = round(self.flash_every * self.fps)
        for index in range(count):
            flash = index > 0 and index % every == 0
            capture = self.start + index / self.fps
            if flash:
                self.flashes.append(capture)
            data, key = stream.encode(index, flash)
            yield EncodedFrame(data, capture, key)

    def beep_times(self) -> list[float]:
        every = round(self.flash_every * self.fps)
        count = round(self.seconds * self.fps)
        return [self.start + i / self.fps for i in range(every, count, every)]

    def audio_blocks(self):
        """Blocks stamped on the shared clock; the card's crystal runs `skew_ppm` off."""
        true_rate = self.mic_rate * (1 + self.skew_ppm * 1e-6)
        t_first = self.start - self.audio_lead
        beeps = self.beep_times()
        total = int((self.seconds + self.audio_lead) * true_rate)
        rng = np.random.default_rng(1)
        for first in range(0, total, self.block):
            index = np.arange(first, first + self.block)
            times = t_first + index / true_rate
            samples = np.zeros(self.block, np.float32)
            for beep in beeps:
                on = (times >= beep) & (times < beep + self.beep_seconds)
                samples[on] = 0.5 * np.sin(2 * np.pi * BEEP_HZ * (times[on] - beep))
            stamp = float(times[0]) + float(rng.uniform(-self.jitter, self.jitter))
            yield AudioBlock(samples.reshape(-1, 1), stamp, self.mic_rate)

    def events(self):
        """Frames and blocks merged in capture order, as real-time sources would deliver."""
        frames = list(self.frames())
        blocks = list(self.audio_blocks())
        merged = [(f.capture_time, 0, f) for f in frames]
        merged += [(b.capture_time + self.block / self.mic_rate, 1, b) for b in blocks]
        merged.sort(key=lambda item: (item[0], item[1]))
        return [item[2] for item in merged]
