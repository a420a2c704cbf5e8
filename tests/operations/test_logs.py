"""Structured JSON log lines, with personal-data fields withheld."""

from __future__ import annotations

import io
import json
import logging

import pytest

from appliance.errors import ConfigError
from appliance.logs import WITHHELD, configure_logging


@pytest.fixture
def log_stream():
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = configure_logging("INFO", stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_the_fields(log_stream):
    logging.getLogger("appliance.test").info(
        "session started", extra={"session": "20261125-101500-ab3d", "parts": 2}
    )
    logging.getLogger("appliance.test").debug("not at INFO")
    (entry,) = lines(log_stream)
    assert entry["level"] == "INFO" and entry["logger"] == "appliance.test"
    assert entry["message"] == "session started"
    assert entry["session"] == "20261125-101500-ab3d" and entry["parts"] == 2
    assert entry["time"].endswith("Z") and entry["time"][10] == "T"


def test_personal_fields_are_withheld(log_stream):
    logging.getLogger("appliance.test").warning(
        "mark", extra={"case_code": "SMITH-J", "note": "Jo smiled", "tag": "guiding"}
    )
    (entry,) = lines(log_stream)
    assert entry["case_code"] == WITHHELD and entry["note"] == WITHHELD
    assert entry["tag"] == "guiding"
    assert "SMITH" not in json.dumps(entry) and "Jo smiled" not in json.dumps(entry)


def test_a_phones_address_is_withheld(log_stream):
    logging.getLogger("appliance.test").warning("login", extra={"client": "10.42.0.17"})
    (entry,) = lines(log_stream)
    assert entry["client"] == WITHHELD


def test_exceptions_carry_their_traceback(log_stream):
    try:
        raise OSError("disk gone")
    except OSError:
        logging.getLogger("appliance.test").exception("write failed")
    (entry,) = lines(log_stream)
    assert "OSError: disk gone" in entry["exception"]


def test_configuring_twice_does_not_double_lines(log_stream):
    handler = configure_logging("warning", log_stream)
    try:
        logging.getLogger("appliance.test").warning("once")
        assert len(lines(log_stream)) == 1
    finally:
        logging.getLogger().removeHandler(handler)


def test_unknown_level_is_a_config_error():
    with pytest.raises(ConfigError):
        configure_logging("LOUD", io.StringIO())
