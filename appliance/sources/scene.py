"""A cheap moving, textured picture for the synthetic camera, built directly as YUV 4:2:0.

The picture must look like video to an encoder (texture, motion, colour) so bitrates and
timings measured on it mean something, yet cost next to nothing to draw: a 1080p frame
must be drawn and encoded in real time on two cores. So every texture is drawn once, and
a frame is a scrolled window onto it plus one small moving block.
"""

from __future__ import annotations

import numpy as np

from .strip import WHITE

_NEUTRAL_CHROMA = 128


class MovingScene:
    """Frame n of a background panning left and a block circling over it.

    Sides must be even (4:2:0); `check_video_settings` says so before a scene is built.
    """

    def __init__(self, width: int, height: int, seed: int = 0) -> None:
        self.width = width
        self.height = height
        self._pan = max(1, round(4 * width / 1920)) * 2
        rng = np.random.default_rng(seed)
        self._luma = _luma_texture(width, height, rng)
        self._u, self._v = _chroma_textures(width // 2, height // 2)
        self._block = max(2, (height // 6) // 2 * 2)

    def render(self, n: int, flash: bool = False) -> np.ndarray:
        """The picture as one yuv420p buffer shaped (height * 3 // 2, width)."""
        w, h = self.width, self.height
        if flash:
            y = np.full((h, w), WHITE, np.uint8)
            u = np.full((h // 2, w // 2), _NEUTRAL_CHROMA, np.uint8)
            v = u
        else:
            x0 = (n * self._pan) % w
            y = self._luma[:, x0 : x0 + w].copy()
            u = self._u[:, x0 // 2 : x0 // 2 + w // 2]
            v = self._v[:, x0 // 2 : x0 // 2 + w // 2]
            self._draw_block(y, n)
        return np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(-1, w)

    def _draw_block(self, y: np.ndarray, n: int) -> None:
        b = self._block
        phase = 2 * np.pi * n / 90
        cx = (self.width - b) * (0.5 + 0.4 * np.cos(phase))
        cy = (self.height - b) * (0.55 + 0.35 * np.sin(2 * phase))
        top, left = int(cy), int(cx)
        y[top : top + b, left : left + b] = 200 - (n % 60)


def _luma_texture(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Twice as wide as the picture and periodic in x, so a window can wrap around."""
    xs = np.arange(2 * width) * (2 * np.pi / width)
    ys = np.arange(height) * (2 * np.pi / height)
    waves = 35 * np.sin(3 * xs)[None, :] + 25 * np.cos(5 * ys)[:, None]
    checks = ((np.arange(2 * width) // 24)[None, :] + (np.arange(height) // 24)[:, None]) % 2
    grain = rng.integers(0, 24, size=(height, width), dtype=np.uint8)
    luma = 110 + waves + 20 * checks + np.tile(grain, (1, 2))
    return np.clip(luma, 20, 215).astype(np.uint8)


def _chroma_textures(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    xs = np.arange(2 * width) * (2 * np.pi / width)
    ys = np.linspace(-1, 1, height)[:, None]
    u = 128 + 30 * np.sin(xs)[None, :] + 10 * ys
    v = 128 + 30 * np.cos(2 * xs)[None, :] - 10 * ys
    return u.astype(np.uint8), v.astype(np.uint8)
