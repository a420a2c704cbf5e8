"""Real or simulated parts are chosen in `appliance/assembly.py` and nowhere else.

Read from the source, so that a new module which imports a Pi adapter, or branches on
`simulate`, fails here rather than in review. Commands may pass the user's `--simulate`
on to assembly as a value; only assembly may decide anything with it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "appliance"
CHOOSER = PACKAGE / "assembly.py"

#: The real adapters and their libraries, with the modules they are defined in.
REAL_ADAPTER_MODULES = {
    "appliance.sources.picamera2_camera": "Picamera2Camera",
    "appliance.sources.sounddevice_microphone": "SounddeviceMicrophone",
    "appliance.export.udisks": "UdisksStickFinder",
    "appliance.panel.device_clock": "SystemDeviceClock",
    "appliance.panel.health": "VcgencmdHealth",
}
REAL_ADAPTER_NAMES = frozenset(REAL_ADAPTER_MODULES.values())
SIMULATION_WORDS = frozenset({"simulate", "simulated", "simulation"})


def _package_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1])


def _words(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _choices(path: Path, text: str | None = None) -> list[str]:
    """Each import of a real adapter and each decision on `simulate` in the module at
    `path` (whose text is `text`, if given)."""
    package = _package_of(path)
    tree = ast.parse(path.read_text() if text is None else text, str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *filter(None, [node.module])])
            names = {alias.name for alias in node.names}
            if source in REAL_ADAPTER_MODULES and REAL_ADAPTER_MODULES[source] in names:
                found.append(f"{where}: imports {REAL_ADAPTER_MODULES[source]}")
            elif names & REAL_ADAPTER_NAMES and source not in REAL_ADAPTER_MODULES:
                found.append(f"{where}: imports {sorted(names & REAL_ADAPTER_NAMES)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in REAL_ADAPTER_MODULES or alias.name.split(".")[0] in {
                    "picamera2",
                    "sounddevice",
                    "libcamera",
                }:
                    found.append(f"{where}: imports {alias.name}")
        elif isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)):
            if _words(node.test) & SIMULATION_WORDS:
                found.append(f"{where}: decides on simulation")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args.args + node.args.kwonlyargs + node.args.posonlyargs
            if {a.arg for a in arguments} & SIMULATION_WORDS:
                found.append(f"{where}: takes a simulation flag to decide with")
    return found


def _everything_but_the_chooser() -> list[Path]:
    adapters = {
        PACKAGE / (name.removeprefix("appliance.").replace(".", "/") + ".py")
        for name in REAL_ADAPTER_MODULES
    }
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p != CHOOSER and p not in adapters]


def test_no_module_but_assembly_imports_a_real_adapter_or_decides_simulation():
    choices = [choice for path in _everything_but_the_chooser() for choice in _choices(path)]
    assert choices == []


def test_the_check_sees_the_choices_assembly_makes():
    """Run on assembly itself, the same check finds its imports and its decisions."""
    choices = "\n".join(_choices(CHOOSER))
    for name in REAL_ADAPTER_NAMES:
        assert f"imports {name}" in choices
    assert "decides on simulation" in choices


def test_the_check_sees_the_choices_runtime_and_doctor_used_to_make():
    """The shapes the old runtime.py and cli/doctor_cmd.py had are each reported."""
    old = (
        "from ..sources.picamera2_camera import Picamera2Camera\n"
        "from ..panel.device_clock import SystemDeviceClock\n"
        "def start(self):\n"
        "    button = VirtualButton(pin) if self.parts.simulate else None\n"
        "def make_pin_factory(simulate):\n"
        "    return None\n"
    )
    found = _choices(PACKAGE / "cli" / "doctor_cmd.py", old)
    assert sorted(line.split(": ", 1)[1] for line in found) == [
        "decides on simulation",
        "imports Picamera2Camera",
        "imports SystemDeviceClock",
        "takes a simulation flag to decide with",
    ]
