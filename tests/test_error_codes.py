"""Every error code the appliance shows (panel JSON, CLI, events) is spelled in one style."""

from __future__ import annotations

import importlib
import pkgutil
import re

import appliance
from appliance.errors import ApplianceError

#: snake_case, optionally behind the name of its box: `weak_pin`, `export.stick_full`.
SNAKE_CASE = re.compile(r"^([a-z]+\.)?[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def all_error_classes() -> list[type[ApplianceError]]:
    for module in pkgutil.walk_packages(appliance.__path__, "appliance."):
        if not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
    found: list[type[ApplianceError]] = []
    pending = [ApplianceError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_code_is_snake_case():
    classes = all_error_classes()
    assert len(classes) > 40
    bad = {cls.__qualname__: cls.code for cls in classes if not SNAKE_CASE.match(cls.code)}
    assert not bad, f"error codes not in snake_case: {bad}"
