"""`vig-appliance run --simulate` as a real process: panel, recording, SIGTERM saves it."""

from __future__ import annotations

import http.cookiejar
import json
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from appliance.cli import main
from appliance.config import load_config
from appliance.vault.age import X25519Identity
from appliance.vault.store import Vault

from .media import analyse, decrypt
from .rig import SMALL_CONFIG_TOML

PIN = "246810"


class Phone:
    """A phone's browser, reduced to what the panel's own JavaScript does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def log_in(self, pin: str) -> None:
        page = self.opener.open(self.base + "/login", timeout=10).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"pin": pin, "csrf_token": token}).encode()
        self.opener.open(self.base + "/login", form, timeout=10)
        home = self.opener.open(self.base + "/", timeout=10).read().decode()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', home).group(1)

    def post(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
        )
        return json.loads(self.opener.open(request, timeout=10).read())


def wait_for_url(process: subprocess.Popen, deadline: float) -> str:
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        found = re.search(r"panel at (http://\S+?)/?$", line.strip())
        if found:
            return found.group(1)
        assert process.poll() is None, "".join(lines)
    raise AssertionError("the panel address was never printed: " + "".join(lines))


def test_run_serves_the_panel_records_and_saves_the_session_on_sigterm(tmp_path):
    config_file = tmp_path / "config.toml"
    config_file.write_text(SMALL_CONFIG_TOML)
    data = tmp_path / "data"
    args = ["--config", str(config_file), "--data-dir", str(data)]
    identity = X25519Identity.generate()
    assert main([*args, "keys", "add", str(identity.recipient)]) == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "appliance.cli", *args, "panel", "set-pin"],
        stdin=subprocess.PIPE,
        text=True,
    )
    process.communicate(PIN + "\n", timeout=30)
    assert process.returncode == 0

    command = [
        sys.executable,
        "-m",
        "appliance.cli",
        *args,
        "run",
        "--simulate",
        "--port",
        "0",
        "--usb-dir",
        str(tmp_path / "usb"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        phone = Phone(wait_for_url(process, time.monotonic() + 60))
        phone.log_in(PIN)
        session_id = phone.post("/api/start", {"case_code": "K-0417"})["result"]
        time.sleep(2.5)
        mark = phone.post("/api/mark", {"tag": "guiding"})["result"]
        assert mark["number"] == 1
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "every session is saved" in err
    config, _ = load_config(config_file)
    info = Vault(data, config.storage, config.recording).session(session_id)
    assert info.state == "complete" and info.mark_count == 1
    assert info.reason == "appliance shut down"
    part = data / "sessions" / session_id / "part-0001.mp4.age"
    assert analyse(decrypt(part, identity), 320).video_duration >= 3.0
