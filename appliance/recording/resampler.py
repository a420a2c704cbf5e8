"""Resample the microphone onto the picture's clock, so sound never drifts from picture.

An MP4 player plays audio samples back to back, so 48 000 samples in the file must span
exactly one second of the picture's (the shared monotonic) clock. A sound card's crystal
runs up to ±100 ppm off, i.e. up to 0.36 s per hour. This resampler:

- estimates the card's true rate and phase by a least-squares line through recent
  (sample index, capture time) anchors, one per block, so block-time jitter averages out;
- reads the input at a fractional position that advances by `rate / 48000` input samples
  per output sample, plus a small phase correction (a first-order loop with time constant
  `lock_seconds`), so the read position is continuous: no clicks, no jumps;
- relocks (and fills the hole with silence) when the input jumps by more than
  `relock_seconds`, e.g. after a dropout of the sound card.

Output sample k belongs at timeline time `origin + k / out_rate`, where `origin` is the
session's first picture time; interpolation is linear, which is transparent for speech
at 48 kHz and cheap on a Pi.
"""

from __future__ import annotations

import numpy as np

from appliance.sources.types import AudioBlock


class PictureClockResampler:
    def __init__(
        self,
        origin: float,
        out_rate: int = 48_000,
        *,
        fit_window_seconds: float = 60.0,
        min_fit_seconds: float = 5.0,
        lock_seconds: float = 2.0,
        relock_seconds: float = 0.1,
        max_skew_ppm: float = 1000.0,
    ) -> None:
        self.origin = origin
        self.out_rate = out_rate
        self._fit_window = fit_window_seconds
        self._min_fit = min_fit_seconds
        self._lock = lock_seconds
        self._relock = relock_seconds
        self._max_skew = max_skew_ppm * 1e-6
        self._anchors = _Anchors()
        self._input = np.zeros(0, np.float32)
        self._input_base = 0  # input index of self._input[0]
        self._ramp = np.arange(4096, dtype=np.float64)  # 0, 1, 2, … for the read positions
        self._received = 0  # input samples received so far
        self._nominal = 0.0
        self._rate = 0.0
        self._pos = 0.0  # fractional input index of the next output sample
        self._next_out: int | None = None  # timeline index of the next output sample
        self.rate_estimate = 0.0
        self._fit: tuple[int, float, float] = (0, origin, 0.0)  # (index, time, rate)
        self._last_fit_time = float("-inf")

    @property
    def next_output_sample(self) -> int | None:
        return self._next_out

    def push(self, block: AudioBlock) -> list[tuple[int, np.ndarray]]:
        """Feed one block; returns (first timeline sample, mono float32 samples) runs."""
        mono = np.asarray(block.samples, np.float32)
        if mono.ndim == 2:
            mono = mono[:, 0] if mono.shape[1] == 1 else mono.mean(axis=1)
        out: list[tuple[int, np.ndarray]] = []
        if self._next_out is None:
            self._start(block, len(mono))
        elif abs(block.capture_time - self._predicted_time(self._received)) > self._relock:
            out += self._relock_at(block)
        self._append(mono, block.capture_time)
        self._update_fit()
        produced = self._produce()
        if produced is not None:
            out.append(produced)
        return out

    def _start(self, block: AudioBlock, _count: int) -> None:
        self._nominal = self._rate = float(block.sample_rate)
        self.rate_estimate = self._rate
        first = int(np.ceil((block.capture_time - self.origin) * self.out_rate))
        self._next_out = first
        self._pos = self._received + (self._time_of(first) - block.capture_time) * self._rate

    def _relock_at(self, block: AudioBlock) -> list[tuple[int, np.ndarray]]:
        """The input jumped: drop the old phase, keep the rate, fill any hole with silence."""
        assert self._next_out is not None
        first = int(np.ceil((block.capture_time - self.origin) * self.out_rate))
        out = []
        if first > self._next_out:
            out.append((self._next_out, np.zeros(first - self._next_out, np.float32)))
        self._next_out = first
        self._anchors.clear()
        self._input = np.zeros(0, np.float32)
        self._input_base = self._received
        self._pos = self._received + (self._time_of(first) - block.capture_time) * self._rate
        return out

    def _time_of(self, out_index: int) -> float:
        return self.origin + out_index / self.out_rate

    def _append(self, mono: np.ndarray, capture_time: float) -> None:
        self._anchors.append((self._received, capture_time))
        self._input = np.concatenate([self._input, mono])
        self._received += len(mono)
        self._anchors.forget_before(capture_time - self._fit_window)

    def _update_fit(self) -> None:
        """Least-squares line capture_time = a + index / rate over the anchors.

        Refitted at most twice a second: the line moves slowly, and a Pi has better uses
        for its CPU than 47 fits a second over minutes of anchors.
        """
        first_index, first_time = self._anchors[0]
        last_time = self._anchors[-1][1]
        if last_time - first_time < self._min_fit or len(self._anchors) < 3:
            self._fit = (first_index, first_time, self._rate)
            self._fit_from_phase()
            return
        if last_time - self._last_fit_time < 0.5:
            return
        self._last_fit_time = last_time
        index, times = self._anchors.arrays()
        index -= first_index
        times -= first_time
        index_mean, times_mean = index.mean(), times.mean()
        index -= index_mean
        slope = float(np.dot(index, times - times_mean) / np.dot(index, index))
        intercept = times_mean - slope * index_mean
        rate = 1.0 / slope
        low, high = self._nominal * (1 - self._max_skew), self._nominal * (1 + self._max_skew)
        self._rate = float(min(max(rate, low), high))
        self.rate_estimate = self._rate
        self._fit = (first_index, first_time + intercept, self._rate)

    def _fit_from_phase(self) -> None:
        """Before enough history, anchor the line at the average block phase."""
        base_index, _, rate = self._fit
        index, times = self._anchors.arrays()
        self._fit = (base_index, float(np.mean(times - (index - base_index) / rate)), rate)

    def _predicted_time(self, input_index: int) -> float:
        base_index, base_time, rate = self._fit
        return base_time + (input_index - base_index) / rate

    def _produce(self) -> tuple[int, np.ndarray] | None:
        assert self._next_out is not None
        base_index, base_time, rate = self._fit
        target = base_index + (self._time_of(self._next_out) - base_time) * rate
        error = target - self._pos  # input samples the read position is behind
        correction = error / (self._lock * self.out_rate)
        step = rate / self.out_rate + correction
        max_step = self._nominal / self.out_rate * (1 + 2 * self._max_skew)
        min_step = self._nominal / self.out_rate * (1 - 2 * self._max_skew)
        step = min(max(step, min_step), max_step)
        last = self._input_base + len(self._input) - 1  # need index i and i + 1
        if self._pos < self._input_base:
            skip = int(np.ceil((self._input_base - self._pos) / step))
            self._pos += skip * step
            self._next_out += skip
        count = int(np.floor((last - self._pos) / step)) + 1 if last >= self._pos else 0
        if count <= 0:
            return None
        samples = self._interpolate(self._pos - self._input_base, step, count)
        start = self._next_out
        self._pos += step * count
        self._next_out += count
        keep_from = max(0, int(np.floor(self._pos)) - self._input_base)
        self._input = self._input[keep_from:]
        self._input_base += keep_from
        return start, samples

    def _interpolate(self, first: float, step: float, count: int) -> np.ndarray:
        """The input read at `first + step * k` for k < count, linearly, as float32.

        Positions are exact in float64 (they are near the buffer's start); the blend is in
        float32, which the samples are. np.interp would search for every position, and
        work in float64 on a copy of the input: a fifth of the recorder's own CPU.
        """
        if len(self._ramp) < count:
            self._ramp = np.arange(2 * count, dtype=np.float64)
        positions = first + step * self._ramp[:count]
        below = positions.astype(np.intp)  # positions are >= 0: truncation is floor
        weight = (positions - below).astype(np.float32)
        left = self._input[below]
        right = self._input[np.minimum(below + 1, len(self._input) - 1)]
        return left + weight * (right - left)


class _Anchors:
    """(input sample index, capture time) of recent blocks, oldest first, cheap to fit."""

    def __init__(self) -> None:
        self._index: list[int] = []
        self._time: list[float] = []
        self._start = 0

    def __len__(self) -> int:
        return len(self._index) - self._start

    def __getitem__(self, position: int) -> tuple[int, float]:
        at = self._start + position if position >= 0 else len(self._index) + position
        return self._index[at], self._time[at]

    def append(self, anchor: tuple[int, float]) -> None:
        self._index.append(anchor[0])
        self._time.append(anchor[1])

    def clear(self) -> None:
        self._index.clear()
        self._time.clear()
        self._start = 0

    def forget_before(self, time: float) -> None:
        while self._start < len(self._time) - 1 and self._time[self._start] < time:
            self._start += 1
        if self._start > len(self._index) // 2:
            del self._index[: self._start]
            del self._time[: self._start]
            self._start = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array(self._index[self._start :], np.float64),
            np.array(self._time[self._start :], np.float64),
        )
