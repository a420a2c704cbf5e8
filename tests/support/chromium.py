"""Debian's Chromium as the tests start it: headless, as root, on a machine with no network.

Without the background-networking flags Chromium keeps trying to reach Google's hosts, and
this machine's closed network refuses each attempt.
"""

from __future__ import annotations

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
