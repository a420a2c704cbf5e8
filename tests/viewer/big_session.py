"""A session with one very large part, built in seconds rather than recorded.

A short noisy fragmented MP4 (which the encoder cannot shrink) is looped with `ffmpeg -c
copy` up to the size asked for, then written through the vault's own part writer, so its
fragments sit on chunk boundaries as a recorded part's do. The viewer opens the vault's
session folder as it is: copying 1 GiB to a stick first would only cost time.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.clocks import MinutePerReadClock
from tests.support.sessions import make_fmp4, write_part
from tests.support.vaults import make_enrolled_vault
from tests.tooling import require_tool

LOOP_SECONDS = 10.0
SIZE, FPS, BITRATE = (640, 360), 30, 40_000_000


def export_big_session(base: Path, total_bytes: int) -> tuple[Path, Path, float]:
    """(a folder holding the session's folder, the key file, the part's duration in s)."""
    ffmpeg = require_tool("ffmpeg", "ffmpeg")
    base.mkdir(parents=True, exist_ok=True)
    loop = base / "loop.mp4"
    loop.write_bytes(make_fmp4(LOOP_SECONDS, shade=3, size=SIZE, fps=FPS, bitrate=BITRATE,
                               noise=True))
    repeats = max(1, -(-total_bytes // loop.stat().st_size))
    big = base / "big.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-stream_loop", str(repeats - 1), "-i", str(loop),
         "-c", "copy", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
         "-f", "mp4", str(big)],
        check=True, timeout=600,
    )
    loop.unlink()
    vault, identity = make_enrolled_vault(base / "data", wall_clock=MinutePerReadClock())
    session = vault.create_session({"case_code": "BIG-1", "wall_clock_start": 1.7e9})
    duration = repeats * LOOP_SECONDS
    write_part(session.open_part(), big.read_bytes(), sync_every=1)
    big.unlink()
    session.finish("complete", None, duration_s=duration)
    key = base / "key.txt"
    key.write_text(f"{identity}\n")
    return base / "data" / "sessions", key, duration
