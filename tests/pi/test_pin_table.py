"""hw/README.md's pin table and hw/wiring.svg agree with the config defaults and the header.

A box wired from the documentation must work with an unedited config file, so the table,
the diagram and `GpioConfig` must name the same pins, and each BCM number must sit on the
header pin the table says.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from appliance.config import GpioConfig

HW = Path(__file__).resolve().parents[2] / "hw"
SVG_NS = {"svg": "http://www.w3.org/2000/svg"}
# BCM GPIO number -> physical pin on the 40-pin header (all Pi models since the B+).
HEADER = {2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29,
          6: 31, 13: 33, 19: 35, 26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22,
          8: 24, 7: 26, 1: 28, 12: 32, 16: 36, 20: 38, 21: 40}
GROUND_PINS = {6, 9, 14, 20, 25, 30, 34, 39}
PIN_FIELDS = ("button", "red_led", "green_led")


def pin_table() -> dict[str, dict[str, str]]:
    """The rows of the README table under '## Pins', keyed by config key."""
    text = (HW / "README.md").read_text()
    section = text.split("\n## Pins\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")),
                         strict=True))
        rows[cells["config key"]] = cells
    return rows


def test_table_names_the_config_default_pins() -> None:
    defaults = GpioConfig()
    rows = pin_table()
    assert set(rows) == {f"gpio.{name}" for name in PIN_FIELDS}
    for name in PIN_FIELDS:
        row = rows[f"gpio.{name}"]
        bcm = int(row["BCM GPIO"])
        assert bcm == getattr(defaults, name)
        assert int(row["header pin"]) == HEADER[bcm]


def test_table_wires_every_return_to_a_ground_pin() -> None:
    for row in pin_table().values():
        grounds = {int(n) for n in re.findall(r"GND \(pin (\d+)\)", row["wiring"])}
        assert grounds and grounds <= GROUND_PINS


def test_wiring_diagram_labels_match() -> None:
    defaults = GpioConfig()
    tree = ElementTree.parse(HW / "wiring.svg")
    rows = pin_table()
    for name in PIN_FIELDS:
        group = tree.find(f".//svg:g[@id='{name}']", SVG_NS)
        assert group is not None, name
        bcm, pin = int(group.get("data-bcm")), int(group.get("data-pin"))
        assert bcm == getattr(defaults, name)
        assert pin == HEADER[bcm] == int(rows[f"gpio.{name}"]["header pin"])
        assert group.get("data-config") == f"gpio.{name}"
        labels = " ".join(t.text or "" for t in group.iterfind(".//svg:text", SVG_NS))
        assert f"pin {pin} GPIO{bcm}" in labels
    for group in tree.iterfind(".//svg:g[@data-pin]", SVG_NS):
        if group.get("data-bcm") is None:
            assert int(group.get("data-pin")) in GROUND_PINS


def test_power_budget_totals_add_up() -> None:
    """Each total is its board plus every shared consumer, idle and recording."""
    text = (HW / "README.md").read_text()
    section = text.split("\n## Power budget", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines()[3:]:
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        if len(cells) >= 3 and cells[1].startswith(("≈", "0", "1", "2", "3", "4", "5", "6")):
            watts = [float(re.search(r"[\d.]+", cell).group()) for cell in cells[1:3]]
            rows[cells[0]] = watts
    boards = {name: w for name, w in rows.items() if name.startswith("Pi ")}
    shared = [w for name, w in rows.items() if not name.startswith(("Pi ", "total"))]
    assert len(boards) == 2 and len(shared) >= 4
    for board, (idle, recording) in boards.items():
        total = rows[f"total, {board.split(' (')[0].replace(' B', '')}"]
        assert total[0] == pytest.approx(idle + sum(w[0] for w in shared), abs=0.1)
        assert total[1] == pytest.approx(recording + sum(w[1] for w in shared), abs=0.1)
