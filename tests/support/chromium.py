"""Debian's Chromium as the tests start it: headless, as root, on a machine with no network.

Without the background-networking flags Chromium keeps trying to reach Google's hosts, and
this machine's closed network refuses each attempt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.tooling import require_tool

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (the test fails naming the package if it is missing)."""
    executable = require_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
