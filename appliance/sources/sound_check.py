"""Whether the microphone hears anything, and whether it is too loud: checked on every block.

The meter's level (the RMS of the latest block) cannot tell a dead microphone from a quiet
room, nor clipped peaks from loud speech: a -120 dB bar looks like a pause, and a block
whose peaks hit full scale can have a modest RMS. So every block from the microphone is
also measured for its sample peak and for whether its samples change at all, and two
warnings follow from those (DESIGN.md "Sound"):

- dead: for `DEAD_SECONDS` of sound every block was digital silence, peaked below
  `DEAD_PEAK_DBFS`, or held one value throughout (a hung converter). A live microphone in
  a quiet room (about -60 dBFS RMS) peaks some 40 dB above that threshold, so a pause in
  speech never reads as dead.
- clipping: a block's sample peak reached `CLIP_PEAK_DBFS`, however low its RMS.

A warning goes when it stops being true, after a hold (`DEAD_CLEAR_SECONDS` of live sound,
`CLIP_HOLD_SECONDS` without a clipped block), so it neither flickers nor slips between two
once-a-second status updates. Time is counted in samples, so the check needs no clock and
runs alike on real and virtual time.

`SoundCheck.feed` runs in the microphone's real-time callback: three reductions over the
block (max, min, sum of squares) with no copy of a contiguous block, no lock, and one small
immutable `SoundReading` per block, which any thread may read (`bench/bench_sound_check.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .level import amplitude_dbfs

#: A block whose sample peak stays below this (dBFS) holds nothing a working microphone
#: picks up: even a quiet room peaks near -50 dBFS.
DEAD_PEAK_DBFS = -90.0
#: How long the microphone must hear nothing before it is called dead (s of sound).
DEAD_SECONDS = 5.0
#: How long it must hear something again before the dead warning goes (s of sound).
DEAD_CLEAR_SECONDS = 1.0
#: A sample peak at or above this (dBFS) is clipping, or a hair from it.
CLIP_PEAK_DBFS = -1.0
#: How long the clipping warning stays after the last clipped block (s of sound): longer
#: than the status's once-a-second update, so every clip is seen, and loud speech that
#: clips on every other syllable shows one steady warning.
CLIP_HOLD_SECONDS = 3.0

# As amplitudes, rounded as the float32 samples are, so a sample at -1 dBFS counts.
_DEAD_PEAK = float(np.float32(10 ** (DEAD_PEAK_DBFS / 20)))
_CLIP_PEAK = float(np.float32(10 ** (CLIP_PEAK_DBFS / 20)))


@dataclass(frozen=True, slots=True)
class SoundWarning:
    """A warning about the sound, in the words the panel shows (spelled here only)."""

    code: str
    message: str
    hint: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


MICROPHONE_DEAD = SoundWarning(
    "microphone_dead",
    "The microphone hears nothing, so the recording would have no sound.",
    "Check that the microphone is plugged in and not muted.",
)
SOUND_CLIPPING = SoundWarning(
    "sound_clipping",
    "The sound is too loud for the microphone and comes out distorted.",
    "Move the microphone further from the loudest voice, or turn its gain down.",
)


@dataclass(frozen=True, slots=True)
class SoundReading:
    """The latest block's RMS level and peak (dBFS), and the warning that holds now.

    `level_dbfs` is None until a block has been heard since the microphone started."""

    level_dbfs: float | None = None
    peak_dbfs: float | None = None
    warning: SoundWarning | None = None

    def warning_dict(self) -> dict[str, str] | None:
        return self.warning.as_dict() if self.warning is not None else None


@dataclass(frozen=True, slots=True)
class BlockMeasure:
    """What the check needs of one block: its RMS and peak amplitude, and whether its
    samples change at all."""

    rms: float
    peak: float
    constant: bool

    @property
    def hears_nothing(self) -> bool:
        return self.peak < _DEAD_PEAK or self.constant

    @property
    def clips(self) -> bool:
        return self.peak >= _CLIP_PEAK


def measure_block(samples: np.ndarray) -> BlockMeasure:
    """RMS, peak and constancy of a block (any shape; float samples, full scale 1)."""
    flat = samples.reshape(-1)
    if flat.size == 0:
        return BlockMeasure(0.0, 0.0, True)
    high, low = float(flat.max()), float(flat.min())
    square_sum = float(np.dot(flat, flat))
    return BlockMeasure((square_sum / flat.size) ** 0.5, max(high, -low), high == low)


class SoundCheck:
    """Feeds on every block of one microphone run; `reading` is what holds now.

    One thread feeds (the microphone's callback); any thread may read `reading`, which is
    replaced whole, never changed in place. `reset` when the microphone starts afresh.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # Runs of sound, counted in frames (exact, where sums of seconds are not):
        self._silent = 0  # frames in a row in which nothing was heard
        self._heard = 0  # frames in a row heard since the dead warning came
        self._since_clip: int | None = None  # frames since the last clipped block, if any
        self._dead = False
        self.reading = SoundReading()

    def feed(self, samples: np.ndarray, sample_rate: int) -> SoundReading:
        """Take one block in (frames first; `sample_rate` its rate); the reading after it."""
        block = measure_block(samples)
        frames = samples.shape[0]
        if block.hears_nothing:
            self._silent += frames
            self._heard = 0
            if self._silent >= DEAD_SECONDS * sample_rate:
                self._dead = True
        else:
            self._silent = 0
            self._heard += frames
            if self._dead and self._heard >= DEAD_CLEAR_SECONDS * sample_rate:
                self._dead = False
        if block.clips:
            self._since_clip = 0
        elif self._since_clip is not None:
            self._since_clip += frames
        warning = None
        if self._dead:
            warning = MICROPHONE_DEAD
        elif self._since_clip is not None and self._since_clip < CLIP_HOLD_SECONDS * sample_rate:
            warning = SOUND_CLIPPING
        self.reading = SoundReading(
            amplitude_dbfs(block.rms), amplitude_dbfs(block.peak), warning
        )
        return self.reading
