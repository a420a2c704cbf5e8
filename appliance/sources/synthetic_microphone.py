"""The simulated microphone: quiet noise, a beep at every sync flash, a skewed sample clock.

A real sound card's crystal is off by up to ±100 ppm, so over a session its sample count
drifts from the camera's clock; the recorder must resample to follow the picture. This
microphone reproduces that: with `skew_ppm` it delivers `sample_rate * (1 + ppm * 1e-6)`
samples per true second. Each block's `capture_time` is the TRUE time of its first sample
(what the PortAudio adapter reports after converting ADC time to the shared clock).

The beep is modelled as sound in the room: a 1 kHz tone lasting 100 ms of true time from
each sync instant, sampled at the skewed sample times, so its onset is the first sample
whose true time is at or after the flash.

What it hears can be changed while it runs (`hear`), so the panel's sound warnings can be
tried and tested: a quiet room (the default), speech with pauses, speech through a gain
that clips, and three dead microphones (digital silence, noise peaking at -95 dBFS, one
value stuck). A dead microphone hears no beeps either.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np

from .clock import PacedSource
from .errors import SourceSettingsError, SourceStateError
from .sync import SyncSchedule
from .types import AudioBlock, AudioSink, PacingClock

#: What the simulated microphone can hear (`SyntheticMicrophone.hear`).
ROOM = "room"  # a quiet room (noise at `noise_level`: -60 dBFS RMS) and the sync beeps
SPEECH = "speech"  # the room, with speech for `SPEECH_SECONDS` then a `PAUSE_SECONDS` pause
CLIPPING = "clipping"  # the room with speech, through a gain that drives it past full scale
SILENCE = "silence"  # digital silence: a muted or unplugged microphone
FAINT = "faint"  # noise peaking at -95 dBFS: a microphone that is on but hears nothing
STUCK = "stuck"  # one sample value over and over: a hung converter
SOUNDS = (ROOM, SPEECH, CLIPPING, SILENCE, FAINT, STUCK)

SPEECH_SECONDS = 3.0
PAUSE_SECONDS = 5.0
#: Speech peaks near 0.2 (-14 dBFS), its RMS while talking near -26 dBFS.
SPEECH_LEVEL = 0.12
SPEECH_PITCH_HZ = 150.0
SYLLABLES_PER_SECOND = 4.0
#: The gain of `CLIPPING`: speech peaks reach 1.6 and are cut at full scale.
CLIPPING_GAIN = 8.0
FAINT_PEAK = 10 ** (-95 / 20)
STUCK_VALUE = 0.125


def speech(times: np.ndarray) -> np.ndarray:
    """A voice with syllables, talking for `SPEECH_SECONDS` of every
    `SPEECH_SECONDS + PAUSE_SECONDS`, silent between (times in s on the shared clock)."""
    talking = np.mod(times, SPEECH_SECONDS + PAUSE_SECONDS) < SPEECH_SECONDS
    syllables = 0.5 - 0.5 * np.cos(2 * math.pi * SYLLABLES_PER_SECOND * times)
    phase = 2 * math.pi * SPEECH_PITCH_HZ * times
    voice = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    return SPEECH_LEVEL * talking * syllables * voice


class SyntheticMicrophone(PacedSource):
    """A `Microphone` whose sound carries the sync beeps, mono float32."""

    channels = 1

    def __init__(
        self,
        clock: PacingClock,
        sample_rate: int = 48_000,
        block_frames: int = 960,
        skew_ppm: float = 0.0,
        flash_period: float = 5.0,
        *,
        sync: SyncSchedule | None = None,
        noise_level: float = 0.001,
        beep_level: float = 0.5,
        beep_hz: float = 1000.0,
        beep_seconds: float = 0.1,
        seed: int = 0,
        sound: str = ROOM,
    ) -> None:
        if sample_rate <= 0 or block_frames <= 0:
            raise SourceSettingsError(
                f"sample rate and block size must be positive, not {sample_rate} Hz, "
                f"{block_frames} frames"
            )
        if not -1e6 < skew_ppm < 1e6:
            raise SourceSettingsError(f"a clock skew of {skew_ppm} ppm is not a sample clock")
        if sync is not None and sync.period != flash_period:
            raise SourceSettingsError(
                f"flash_period {flash_period} s disagrees with the sync schedule's "
                f"{sync.period} s; pass one or the other"
            )
        self.clock = clock
        self.sample_rate = sample_rate
        self.block_frames = block_frames
        self.skew_ppm = skew_ppm
        self.sync = sync if sync is not None else SyncSchedule(period=flash_period)
        self.noise_level, self.beep_level = noise_level, beep_level
        self.beep_hz, self.beep_seconds = beep_hz, beep_seconds
        self.seed = seed
        self.sound = ROOM
        self.hear(sound)
        #: Samples per TRUE second: what the skewed crystal actually produces.
        self.true_rate = sample_rate * (1 + skew_ppm * 1e-6)
        self._ticker = None
        self._sink: AudioSink | None = None
        self._start = 0.0
        self._rng = np.random.default_rng(seed)
        self.samples_delivered = 0

    @overload
    def sample_time(self, j: int) -> float: ...
    @overload
    def sample_time(self, j: np.ndarray) -> np.ndarray: ...

    def sample_time(self, j: int | np.ndarray) -> float | np.ndarray:
        """True time of sample j since `start()`."""
        return self._start + j / self.true_rate

    def hear(self, sound: str) -> None:
        """Hear `sound` (one of `SOUNDS`) from the next block on; safe while running."""
        if sound not in SOUNDS:
            raise SourceSettingsError(
                f"the simulated microphone cannot hear {sound!r}; it hears {', '.join(SOUNDS)}"
            )
        self.sound = sound

    def start(self, sink: AudioSink) -> None:
        if self._ticker is not None:
            raise SourceStateError("the microphone is already running")
        self._sink = sink
        self._start = self.clock.now()
        self._rng = np.random.default_rng(self.seed)
        self.samples_delivered = 0
        self._ticker = self.clock.pace(
            lambda i: self.sample_time((i + 1) * self.block_frames),
            self._capture,
            name="synthetic-microphone",
        )

    def _capture(self, index: int, _delivered_at: float) -> None:
        first = index * self.block_frames
        times = self.sample_time(np.arange(first, first + self.block_frames, dtype=np.float64))
        samples = self._sound_at(self.sound, times).astype(np.float32).reshape(-1, 1)
        assert self._sink is not None  # the ticker runs only between start and stop
        self._sink(AudioBlock(samples, float(self.sample_time(first)), self.sample_rate))
        self.samples_delivered += self.block_frames

    def _sound_at(self, heard: str, times: np.ndarray) -> np.ndarray:
        if heard == SILENCE:
            return np.zeros(times.size)
        if heard == STUCK:
            return np.full(times.size, STUCK_VALUE)
        if heard == FAINT:
            return self._rng.uniform(-FAINT_PEAK, FAINT_PEAK, times.size)
        sound = self._rng.normal(0.0, self.noise_level, times.size)
        self._add_beeps(sound, times)
        if heard == ROOM:
            return sound
        sound += speech(times)
        if heard == CLIPPING:
            return np.clip(sound * CLIPPING_GAIN, -1.0, 1.0)
        return sound

    def _add_beeps(self, sound: np.ndarray, times: np.ndarray) -> None:
        first_k = self.sync.flash_index(times[0] - self.beep_seconds)
        last_k = self.sync.flash_index(times[-1])
        for k in range(first_k, last_k + 1):
            onset = self.sync.flash_time(k)
            inside = (times >= onset) & (times < onset + self.beep_seconds)
            if inside.any():
                phase = 2 * math.pi * self.beep_hz * (times[inside] - onset)
                sound[inside] += self.beep_level * np.sin(phase)

    def stop(self) -> None:
        """Stop capturing; a block is delivered only once all its samples are captured."""
        if self._ticker is None:
            return
        self._ticker.cancel()
        self._ticker = None
