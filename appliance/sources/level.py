"""How loud a block of sound is, for the panel's meter and the doctor's microphone check."""

from __future__ import annotations

import math

import numpy as np

#: What digital silence reads as, instead of minus infinity.
SILENCE_DBFS = -120.0
#: An amplitude below this (full scale = 1) reads as `SILENCE_DBFS`.
SILENCE_AMPLITUDE = 1e-6


def amplitude_dbfs(amplitude: float) -> float:
    """An RMS or peak amplitude in dBFS (0 = full scale); `SILENCE_DBFS` for silence."""
    return 20 * math.log10(amplitude) if amplitude > SILENCE_AMPLITUDE else SILENCE_DBFS


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS (0 = full scale); `SILENCE_DBFS` for silence or no samples."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return amplitude_dbfs(rms)
