"""The viewer as built: reproducible from the lockfile, offline by construction, licensed.

A practitioner's IT service checks the viewer against a published SHA-256, so anyone must be
able to rebuild it from package-lock.json and get the same bytes. It asks for the secret key,
so it must hold nothing that could reach the network.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from appliance.viewer import viewer_bytes, viewer_sha256
from tests.tooling import require_tool

WEB = Path(__file__).resolve().parents[2] / "appliance" / "viewer" / "web"
BUNDLED_PACKAGES = ("age-encryption", "@noble/ciphers", "@noble/curves", "@noble/hashes",
                    "@noble/post-quantum", "@scure/base")
ALLOWED_SCHEMES = {"blob", "data"}


def page_text() -> str:
    return viewer_bytes().decode("utf-8")


def without_licences(html: str) -> str:
    return re.sub(r'<pre id="licences">.*?</pre>', "", html, flags=re.S)


def test_a_rebuild_from_the_lockfile_in_a_clean_folder_gives_the_same_sha256(tmp_path):
    npm = require_tool("npm", "npm")
    require_tool("node", "nodejs")
    clean = tmp_path / "web"
    shutil.copytree(WEB, clean, ignore=shutil.ignore_patterns("node_modules"))
    # --offline: the packages come from npm's cache, filled when dev.sh set up this machine.
    subprocess.run([npm, "ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=clean, check=True, capture_output=True)
    out = tmp_path / "rebuilt.html"
    subprocess.run(["node", "build.mjs", str(out)], cwd=clean, check=True, capture_output=True)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == viewer_sha256()


def test_the_dependencies_are_pinned_exactly_in_package_json():
    import json

    manifest = json.loads((WEB / "package.json").read_text())
    for deps in (manifest["dependencies"], manifest["devDependencies"]):
        for name, version in deps.items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
    lock = json.loads((WEB / "package-lock.json").read_text())
    assert all("integrity" in entry for key, entry in lock["packages"].items() if key)


def test_the_page_holds_no_reference_that_a_browser_could_fetch():
    html = without_licences(page_text())
    attribute = re.compile(
        r"""\b(?:src|href|action|poster|srcset)\s*=\s*["'`]?\s*([a-zA-Z][\w+.-]*):"""
    )
    schemes = {m.group(1).lower() for m in attribute.finditer(html)}
    assert schemes <= ALLOWED_SCHEMES, schemes
    assert not re.search(r"url\s*\(", html), "a CSS url() could fetch"
    module_import = r"\bimport\s*\(|\bimport\s+[\w{*]|@import"
    assert not re.search(module_import, html), "a module import could fetch"
    assert not re.search(r"\bfetch\s*\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon", html)
    assert "://" not in html, "no address of any kind outside the licence texts"


def test_the_content_security_policy_forbids_all_network_access():
    match = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page_text())
    assert match, "the page must carry its CSP in a meta tag (file:// pages get no headers)"
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in match.group(1).split("; ")
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    assert all(source.startswith("'sha256-") for source in policy["script-src"])
    assert "'unsafe-inline'" not in match.group(1) and "'unsafe-eval'" not in match.group(1)


def test_the_licence_of_every_bundled_package_is_included_as_text():
    html = page_text()
    for name in BUNDLED_PACKAGES:
        assert re.search(rf"{re.escape(name)} \d+\.\d+\.\d+\n\n", html), name
    assert "Permission is hereby granted" in html  # the MIT licence of noble and scure
    assert "Copyright 2023 The age Authors" in html  # typage's BSD licence
