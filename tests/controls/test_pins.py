"""The board's pins: the config names the chip, and the board a non-Pi stands for."""

from __future__ import annotations

import pytest

from appliance.config import config_from_dict
from appliance.controls.pins import BoardUnknown, board_revision
from appliance.errors import ConfigError


def test_gpio_chip_and_board_revision_are_read_from_the_config():
    gpio = config_from_dict({"gpio": {"chip": 4, "board_revision": "c03114"}}).gpio
    assert gpio.chip == 4
    assert board_revision(gpio.board_revision) == 0xC03114


def test_by_default_gpiozero_chooses_the_chip_and_the_board_reports_its_revision():
    gpio = config_from_dict({}).gpio
    assert gpio.chip is None
    assert board_revision(gpio.board_revision) is None


def test_a_board_revision_that_is_not_hex_is_refused_in_plain_words():
    with pytest.raises(BoardUnknown, match="not a Pi revision code in hex"):
        board_revision("Pi 4")


def test_the_camera_is_the_pis_unless_the_config_asks_for_the_synthetic_one():
    assert config_from_dict({}).recording.camera == "picamera2"
    assert config_from_dict({"recording": {"camera": "synthetic"}}).recording.camera == "synthetic"
    with pytest.raises(ConfigError) as refused:
        config_from_dict({"recording": {"camera": "webcam"}})
    assert "recording.camera must be one of 'picamera2', 'synthetic'" in str(refused.value)
