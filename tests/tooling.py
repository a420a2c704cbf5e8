"""Shared test support: system tools are required, never silently skipped."""

from __future__ import annotations

import shutil

import pytest


def require_tool(command: str, debian_package: str) -> str:
    """Return the tool's path, or fail the test naming the Debian package to install."""
    path = shutil.which(command)
    if path is None:
        pytest.fail(
            f"the system tool {command!r} is missing: install the Debian package "
            f"{debian_package!r} (sudo apt-get install {debian_package})",
            pytrace=False,
        )
    return path
