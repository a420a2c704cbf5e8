"""The configured AAC bit rate reaches the encoder: ffprobe reads it back from a decrypted part.

The space estimate (`vault/space.py`) budgets `recording.audio_bitrate`; an encoder that used
its own default would make that estimate wrong and the setting a dead letter.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.tooling import require_tool

from .media import decrypt
from .rig import make_rig


def probed_audio_bitrate(part: bytes, tmp_path) -> int:
    ffprobe = require_tool("ffprobe", "ffmpeg")
    path = tmp_path / "part.mp4"
    path.write_bytes(part)
    result = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
         "stream=codec_name,bit_rate", "-of", "json", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    (stream,) = json.loads(result.stdout)["streams"]
    assert stream["codec_name"] == "aac"
    return int(stream["bit_rate"])


@pytest.mark.parametrize("configured", [64_000, 160_000])
def test_the_configured_audio_bitrate_is_the_one_encoded(tmp_path, configured):
    rig = make_rig(tmp_path, audio_bitrate=configured)
    rig.controller.warm_up()
    rig.run_for(0.5)
    session_id = rig.controller.start()
    rig.run_for(8)
    rig.stop()
    (part,) = rig.files(session_id, "part")
    measured = probed_audio_bitrate(decrypt(part, rig.identity), tmp_path)
    assert measured == pytest.approx(configured, rel=0.15)
