"""provisioning/make-label.py: the label's QR codes are read back by a real decoder.

The SVG's code is turned back into a module matrix (every dark module is one square of
one path), drawn with its quiet zone and decoded by zxing-cpp, the reader Android's
camera apps grew from. The Wi-Fi text is then split as a phone would split it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
import segno
import zxingcpp

SCRIPT = Path(__file__).resolve().parents[2] / "provisioning" / "make-label.py"
SVG = "{http://www.w3.org/2000/svg}"
SQUARE = re.compile(r"M(\d+) (\d+)h1v1h-1z")


def make_label(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "-o", str(tmp_path / "l.svg")],
                          capture_output=True, text=True, check=False, timeout=60)


def read_code(svg: Path, element_id: str) -> tuple[str, int]:
    group = ElementTree.parse(svg).getroot().find(f".//{SVG}g[@id='{element_id}']")
    assert group is not None
    size = int(group.get("data-modules"))
    path = group.find(f"{SVG}path").get("d")
    assert SQUARE.sub("", path) == ""  # nothing but module squares
    image = np.full((size + 8, size + 8), 255, dtype=np.uint8)
    for x, y in SQUARE.findall(path):
        image[int(y) + 4, int(x) + 4] = 0
    found = zxingcpp.read_barcodes(image.repeat(6, 0).repeat(6, 1))
    assert len(found) == 1
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text, size


def split_wifi(text: str) -> dict[str, str]:
    """Split 'WIFI:T:WPA;S:…;P:…;;' into fields, undoing backslash escapes."""
    assert text.startswith("WIFI:") and text.endswith(";;")
    fields, key, value, chars = {}, "", "", iter(text[5:-1])
    for ch in chars:
        if ch == "\\":
            value += next(chars)
        elif ch == ";":
            key, _, rest = value.partition(":")
            fields[key] = rest
            value = ""
        else:
            value += ch
    return fields


@pytest.mark.parametrize(("ssid", "passphrase"), [
    ("VIG-appliance", "Hk7mPq2xWz9nRt4vBc6d"),
    ('VIG "a";b,c:d\\e', 'p;a,s"s:w\\rd and more'),
])
def test_wifi_code_scans_to_the_network(tmp_path: Path, ssid: str, passphrase: str) -> None:
    (tmp_path / "pass").write_text(passphrase + "\n")
    result = make_label(tmp_path, "--ssid", ssid, "--passphrase-file", str(tmp_path / "pass"))
    assert result.returncode == 0, result.stderr
    text, size = read_code(tmp_path / "l.svg", "wifi-qr")
    assert split_wifi(text) == {"T": "WPA", "S": ssid, "P": passphrase}
    assert size == segno.make(text, error="m", micro=False).symbol_size(border=0)[0]


def test_panel_code_scans_to_the_url(tmp_path: Path) -> None:
    (tmp_path / "pass").write_text("Hk7mPq2xWz9nRt4vBc6d\n")
    result = make_label(tmp_path, "--ssid", "VIG", "--passphrase-file", str(tmp_path / "pass"),
                        "--url", "http://vig.local:8080/", "--hide-passphrase")
    assert result.returncode == 0, result.stderr
    assert read_code(tmp_path / "l.svg", "panel-qr")[0] == "http://vig.local:8080/"
    texts = [t.text for t in ElementTree.parse(tmp_path / "l.svg").iter(f"{SVG}text")]
    assert "http://vig.local:8080/" in texts
    assert not any("Hk7mPq2x" in t for t in texts)


def test_reads_the_access_point_keyfile(tmp_path: Path) -> None:
    keyfile = tmp_path / "vig-ap.nmconnection"
    keyfile.write_text("[connection]\nid=vig-ap\ntype=wifi\n\n[wifi]\nmode=ap\n"
                       "ssid=VIG-appliance\n\n[wifi-security]\nkey-mgmt=wpa-psk\n"
                       "psk=\\scorrect horse;battery:staple\n\n[ipv4]\nmethod=shared\n")
    result = make_label(tmp_path, "--nmconnection", str(keyfile))
    assert result.returncode == 0, result.stderr
    fields = split_wifi(read_code(tmp_path / "l.svg", "wifi-qr")[0])
    assert fields == {"T": "WPA", "S": "VIG-appliance", "P": " correct horse;battery:staple"}


@pytest.mark.parametrize("passphrase", ["short", "x" * 64, "naïve-passphrase"])
def test_refuses_a_passphrase_wpa2_cannot_use(tmp_path: Path, passphrase: str) -> None:
    (tmp_path / "pass").write_text(passphrase + "\n")
    result = make_label(tmp_path, "--ssid", "VIG", "--passphrase-file", str(tmp_path / "pass"))
    assert result.returncode == 2
    assert result.stderr.startswith("make-label: ")
    assert not (tmp_path / "l.svg").exists()


def test_missing_keyfile_is_said_plainly(tmp_path: Path) -> None:
    result = make_label(tmp_path, "--nmconnection", str(tmp_path / "absent.nmconnection"))
    assert result.returncode == 2
    assert result.stderr.startswith("make-label: ")
