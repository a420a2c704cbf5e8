"""One list of personal-data field names: what the logs withhold, the audit log refuses."""

from __future__ import annotations

import io
import json
import logging

import pytest

from appliance.logs import WITHHELD, JsonLineFormatter
from appliance.personal_data import PERSONAL_FIELDS
from appliance.vault.audit import check_fields
from appliance.vault.errors import PersonalDataInAudit


def logged(**extra: object) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("appliance.test.personal_data")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("event", extra=extra)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


#: `extra` may not use the names of a LogRecord's own attributes (logging raises KeyError).
RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


@pytest.mark.parametrize("field", sorted(PERSONAL_FIELDS))
def test_every_personal_field_is_withheld_from_the_logs_and_refused_by_the_audit(field):
    if field not in RECORD_ATTRIBUTES:
        assert logged(**{field: "10.42.0.17 K-0417 Jo"})[field] == WITHHELD
    with pytest.raises(PersonalDataInAudit):
        check_fields({field: "10.42.0.17 K-0417 Jo"})


def test_a_phones_address_is_personal_data():
    assert {"client", "remote_addr"} <= PERSONAL_FIELDS


def test_plain_fields_pass_both():
    assert logged(session="20261125-101500-ab3d")["session"] == "20261125-101500-ab3d"
    check_fields({"session": "20261125-101500-ab3d", "lockout_s": 60})
