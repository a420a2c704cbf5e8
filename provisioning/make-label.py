#!/usr/bin/env python3
"""Print the appliance's label: a QR code to join its Wi-Fi, a QR code to open the panel.

    sudo python3 provisioning/make-label.py \
        --nmconnection /etc/NetworkManager/system-connections/vig-ap.nmconnection \
        --url http://vig.local:8080/ -o label.svg
    python3 provisioning/make-label.py --ssid VIG-appliance --passphrase-file pass.txt -o label.svg

Why a label: the practitioner is not an engineer. Scanning one code joins the phone to the
appliance's network, scanning the other opens the panel; nothing to type in the field.
The Wi-Fi code follows the de-facto format phones read (ZXing's "WIFI:" scheme, also in
the Wi-Fi Alliance WPA3 specification), with \\ ; , " : escaped by a backslash.

Stdlib only, apart from `segno` (a pure-Python QR encoder; Debian: python3-segno).
"""

from __future__ import annotations

import argparse
import configparser
import sys
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import segno

WIFI_SPECIAL = '\\;,":'
QUIET_MODULES = 4        # the blank margin a QR code needs on every side
LABEL_MM = (90.0, 58.0)  # about a business card: fits a label printer and a laminating pouch


class LabelError(ValueError):
    """A label cannot be made from what was given (said in plain words)."""


def wifi_escape(text: str) -> str:
    return "".join("\\" + ch if ch in WIFI_SPECIAL else ch for ch in text)


def wifi_payload(ssid: str, passphrase: str, hidden: bool = False) -> str:
    """The text a phone's camera turns into "join this network"."""
    if not 1 <= len(ssid.encode()) <= 32:
        raise LabelError("the network name (SSID) must be 1 to 32 bytes long")
    if not 8 <= len(passphrase) <= 63 or not passphrase.isascii() or not passphrase.isprintable():
        raise LabelError("a WPA2 passphrase is 8 to 63 printable ASCII characters")
    hidden_field = "H:true;" if hidden else ""
    return f"WIFI:T:WPA;S:{wifi_escape(ssid)};P:{wifi_escape(passphrase)};{hidden_field};"


def keyfile_unescape(value: str) -> str:
    """Undo GKeyFile's escapes (\\s \\n \\t \\r \\\\), as NetworkManager writes them."""
    out, chars = [], iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def read_nmconnection(path: Path) -> tuple[str, str]:
    """SSID and passphrase from a NetworkManager keyfile (root-only: run with sudo)."""
    parser = configparser.RawConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys are case-sensitive in keyfiles
    try:
        parser.read_string(path.read_text())
    except PermissionError as exc:
        raise LabelError(f"{path} is readable by root only: run with sudo") from exc
    except FileNotFoundError as exc:
        raise LabelError(f"{path} does not exist: has install.sh set up the Wi-Fi?") from exc
    try:
        ssid = parser.get("wifi", "ssid")
        passphrase = parser.get("wifi-security", "psk")
    except (configparser.NoSectionError, configparser.NoOptionError) as exc:
        raise LabelError(f"{path} has no Wi-Fi SSID and passphrase (wpa-psk)") from exc
    return keyfile_unescape(ssid), keyfile_unescape(passphrase)


def qr_path(payload: str) -> tuple[str, int]:
    """One SVG path drawing every dark module as a 1x1 square, and the symbol's size."""
    symbol = segno.make(payload, error="m", micro=False)
    squares = []
    size = 0
    for y, row in enumerate(symbol.matrix_iter(scale=1, border=0)):
        size = max(size, len(row))
        squares.extend(f"M{x} {y}h1v1h-1z" for x, dark in enumerate(row) if dark)
    return "".join(squares), size


def qr_group(element_id: str, payload: str, x_mm: float, y_mm: float, width_mm: float) -> str:
    """The code scaled to width_mm, its quiet zone included (so nothing may print there)."""
    path, size = qr_path(payload)
    scale = width_mm / (size + 2 * QUIET_MODULES)
    offset = QUIET_MODULES * scale
    return (f'<g id="{element_id}" data-modules="{size}" '
            f'transform="translate({x_mm + offset:.3f} {y_mm + offset:.3f}) scale({scale:.4f})">'
            f'<path d="{path}" fill="#000"/></g>')


def text_lines(lines: Iterable[tuple[str, float, float, float, str]]) -> list[str]:
    return [f'<text x="{x}" y="{y}" font-size="{size}"{extra}>{xml_escape(text)}</text>'
            for text, x, y, size, extra in lines]


def label_svg(ssid: str, passphrase: str, url: str, show_passphrase: bool = True) -> str:
    """The label: Wi-Fi code and details on the left, panel code and address on the right."""
    width, height = LABEL_MM
    qr_mm, qr_top, right = 36.0, 12.0, width / 2 + 1
    wifi = wifi_payload(ssid, passphrase)
    below = qr_top + qr_mm + 3
    lines = [
        ("VIG appliance", 4, 6.5, 4.2, ' font-weight="bold"'),
        ("1. Join the Wi-Fi", 4, 11.5, 3, ""),
        ("2. Open the panel", right, 11.5, 3, ""),
        (f"Wi-Fi: {ssid}", 4, below, 2.6, ""),
        (url, right, below, 2.6, ""),
    ]
    if show_passphrase:
        lines.append((f"Password: {passphrase}", 4, below + 3.5, 2.6, ""))
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
        "<title>VIG appliance: Wi-Fi and panel</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        qr_group("wifi-qr", wifi, 1, qr_top, qr_mm),
        qr_group("panel-qr", url, right - 3, qr_top, qr_mm),
        *text_lines(lines),
        "</svg>",
        "",
    ])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--nmconnection", type=Path, help="read SSID and passphrase from it")
    source.add_argument("--ssid", help="the network name")
    parser.add_argument("--passphrase-file", type=Path, help="with --ssid: first line")
    parser.add_argument("--url", default="http://vig.local:8080/", help="the panel's address")
    parser.add_argument("--hide-passphrase", action="store_true",
                        help="print no passphrase in words (the QR code still holds it)")
    parser.add_argument("-o", "--output", type=Path, help="SVG file (default: standard output)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.nmconnection:
            ssid, passphrase = read_nmconnection(args.nmconnection)
        else:
            if args.passphrase_file is None:
                raise LabelError("--ssid needs --passphrase-file")
            ssid = args.ssid
            lines = args.passphrase_file.read_text().splitlines()
            if not lines:
                raise LabelError(f"{args.passphrase_file} is empty")
            passphrase = lines[0]
        svg = label_svg(ssid, passphrase, args.url, show_passphrase=not args.hide_passphrase)
    except (LabelError, OSError) as exc:
        print(f"make-label: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(svg)
    else:
        sys.stdout.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
