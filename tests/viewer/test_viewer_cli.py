"""`vig-appliance viewer`: the file to keep on the laptop, and the hash to check it by."""

from __future__ import annotations

import hashlib

from appliance.cli import main
from appliance.viewer import viewer_bytes, viewer_sha256


def test_viewer_out_writes_the_built_viewer(tmp_path, capsys):
    out = tmp_path / "vig-viewer.html"
    assert main(["viewer", "--out", str(out)], environ={}) == 0
    assert out.read_bytes() == viewer_bytes()
    assert viewer_sha256() in capsys.readouterr().err


def test_viewer_hash_prints_the_sha256_of_that_file(tmp_path, capsys):
    assert main(["viewer", "--hash"], environ={}) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == hashlib.sha256(viewer_bytes()).hexdigest()

