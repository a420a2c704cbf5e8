"""The panel names the viewer's SHA-256, the figure the laptop's trusted copy is checked by."""

from __future__ import annotations

from appliance.viewer import viewer_sha256

from .conftest import LoggedIn


def test_the_panel_shows_the_viewers_sha256(client):
    page = LoggedIn(client).get("/").get_data(as_text=True)
    assert f'<code id="viewer-sha256" class="hash">{viewer_sha256()}</code>' in page
