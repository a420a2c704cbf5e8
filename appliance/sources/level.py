"""How loud a block of sound is, for the panel's meter and the doctor's microphone check."""

from __future__ import annotations

import math

import numpy as np

#: What digital silence reads as, instead of minus infinity.
SILENCE_DBFS = -120.0


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS (0 = full scale); `SILENCE_DBFS` for silence or no samples."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20 * math.log10(rms) if rms > 1e-6 else SILENCE_DBFS
