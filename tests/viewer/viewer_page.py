"""Driving the viewer in Debian's Chromium, opened from file:// as a practitioner would.

The page's CSP forbids eval, so Playwright's `wait_for_function` (which evaluates a string in
the page) is refused; `until` polls with `evaluate`, which the browser runs outside the CSP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

from tests.support.chromium import CHROMIUM_ARGS
from tests.tooling import require_tool

#: The video plays without a tap, as after the practitioner's first click in the page.
VIEWER_ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]

#: Reads the synthetic camera's time strip (32 blocks of 30 px, most significant bit first)
#: from the frame the video element shows now.
READ_STRIP = """() => {
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(video, 0, 0);
  let value = 0;
  for (let bit = 0; bit < 32; bit++) {
    const [r, g, b] = ctx.getImageData(bit * 30 + 15, 15, 1, 1).data;
    value = value * 2 + ((0.299 * r + 0.587 * g + 0.114 * b) > 128 ? 1 : 0);
  }
  return value;
}"""


class ViewerPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def until(self, expression: str, timeout: float = 15.0, arg: object = None) -> object:
        deadline = time.monotonic() + timeout
        while True:
            value = self.page.evaluate(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {expression}")
            time.sleep(0.02)

    def open(self, viewer: Path, folder: Path, key: Path, passphrase: str | None = None) -> None:
        self.page.goto(viewer.as_uri())
        self.page.set_input_files("#folder-input", str(folder))
        self.page.set_input_files("#key-input", str(key))
        if passphrase is not None:
            self.page.click("#open-button")
            self.page.wait_for_selector("#passphrase-row:not([hidden])")
            self.page.fill("#passphrase", passphrase)
        self.page.click("#open-button")

    def wait_for_list(self) -> str:
        self.page.wait_for_selector("#list:not([hidden])", timeout=30_000)
        return self.page.inner_text("#session-rows")

    def watch(self, viewer: Path, folder: Path, key: Path, passphrase: str | None = None) -> None:
        """Open the export and start watching its first (newest) session."""
        self.open(viewer, folder, key, passphrase)
        self.wait_for_list()
        self.watch_first()

    def watch_first(self) -> None:
        self.page.click("#session-rows button")
        self.until("document.getElementById('video').readyState >= 2")

    def video(self, expression: str) -> object:
        return self.page.evaluate(f"(() => {{ const v = document.getElementById('video'); "
                                  f"return {expression}; }})()")

    def seek_and_wait(self, seconds: float) -> None:
        self.page.evaluate("""(t) => new Promise((resolve) => {
            const v = document.getElementById('video');
            v.pause();
            v.addEventListener('seeked', () => resolve(), { once: true });
            v.currentTime = t;
        })""", seconds)
        self.settle()

    def settle(self) -> None:
        """Waits until the frame for the current time is decoded and painted."""
        self.until("document.getElementById('video').readyState >= 2")
        self.page.evaluate("""() => new Promise((resolve) => {
            const v = document.getElementById('video');
            if (!v.paused) v.requestVideoFrameCallback(() => resolve());
            else requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
        })""")

    def strip_ms(self) -> int:
        return int(self.page.evaluate(READ_STRIP))

    def banner(self) -> str:
        return self.page.inner_text("#watch-banner")


@contextmanager
def chromium_context(profile: Path | None = None) -> Iterator[BrowserContext]:
    """A fresh headless Chromium; with `profile`, a persistent one that writes to that folder."""
    chromium = require_tool("chromium", "chromium")
    with sync_playwright() as playwright:
        if profile is None:
            browser = playwright.chromium.launch(executable_path=chromium, args=VIEWER_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          accept_downloads=True)
            try:
                yield context
            finally:
                context.close()
                browser.close()
        else:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=chromium, args=VIEWER_ARGS,
                viewport={"width": 1280, "height": 900})
            try:
                yield context
            finally:
                context.close()


@contextmanager
def viewer_page(profile: Path | None = None) -> Iterator[ViewerPage]:
    with chromium_context(profile) as context:
        yield ViewerPage(context.new_page())
