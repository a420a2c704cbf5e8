"""The vault's settings come from the config, which refuses keys it does not know."""

from __future__ import annotations

import pytest

from appliance.config import config_from_dict
from appliance.errors import ConfigError


def test_storage_and_recording_settings_are_read():
    config = config_from_dict({
        "storage": {"reserve_bytes": 2048, "start_headroom_minutes": 5},
        "recording": {"part_max_seconds": 600, "part_max_bytes": 1000, "audio_bitrate": 96000},
    })
    assert config.storage.reserve_bytes == 2048
    assert config.recording.part_max_seconds == 600.0
    assert config.recording.audio_bitrate == 96000


@pytest.mark.parametrize("raw", [
    {"storage": {"reserve": 1}},
    {"recording": {"part_max_minutes": 15}},
    {"vault": {}},
])
def test_an_unknown_key_is_refused(raw):
    with pytest.raises(ConfigError):
        config_from_dict(raw)


def test_a_mistyped_value_is_refused():
    with pytest.raises(ConfigError):
        config_from_dict({"storage": {"reserve_bytes": "1 GiB"}})
