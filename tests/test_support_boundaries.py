"""No test area imports another area's conftest: what two areas share lives in tests/support.

A conftest holds one area's fixtures; importing it from elsewhere runs it twice under two
names and ties the areas together unseen (five such imports once pointed at export's and
the controls' conftest files).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def area_of(path: Path) -> str:
    """The folder directly under tests/ that holds `path` ("" for tests/ itself)."""
    parts = path.relative_to(TESTS).parts
    return parts[0] if len(parts) > 1 else ""


def imported_modules(source: str, path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """(line, module path under the repo) of every import in `source`, relative ones resolved."""
    package = ("tests", *path.relative_to(TESTS).parts[:-1])
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, tuple(alias.name.split("."))) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = (*base, *(node.module or "").split(".")) if node.module else base
            found.append((node.lineno, module))
            found += [(node.lineno, (*module, alias.name)) for alias in node.names]
    return found


def foreign_conftest_imports(source: str, path: Path) -> list[str]:
    """The imports in `source` (a file at `path`) of a conftest outside the file's own area."""
    own = area_of(path)
    crossings: dict[int, str] = {}
    for line, module in imported_modules(source, path):
        if "conftest" not in module or line in crossings:
            continue
        conftest = module[: module.index("conftest") + 1]
        conftest_area = conftest[1] if conftest[:1] == ("tests",) and len(conftest) > 2 else ""
        if conftest_area != own or own == "":
            crossings[line] = f"{path.relative_to(TESTS.parent)}:{line}: {'.'.join(conftest)}"
    return list(crossings.values())


def test_no_test_imports_another_areas_conftest():
    crossings = [
        crossing
        for path in sorted(TESTS.rglob("*.py"))
        for crossing in foreign_conftest_imports(path.read_text(), path)
    ]
    assert crossings == [], "move what is shared into tests/support:\n" + "\n".join(crossings)


def test_the_scan_sees_absolute_and_relative_crossings_but_not_an_areas_own_conftest():
    unpack = TESTS / "unpack" / "conftest.py"
    assert foreign_conftest_imports("from tests.export.conftest import X\n", unpack) == [
        "tests/unpack/conftest.py:1: tests.export.conftest"
    ]
    panel = TESTS / "panel" / "test_x.py"
    assert foreign_conftest_imports("from ..controls.conftest import wait_until\n", panel)
    assert foreign_conftest_imports("import tests.controls.conftest\n", panel)
    assert foreign_conftest_imports("from tests.controls import conftest\n", panel)
    assert foreign_conftest_imports("from .conftest import PIN\n", panel) == []
    assert foreign_conftest_imports("from tests.panel.conftest import PIN\n", panel) == []
    assert foreign_conftest_imports("from tests.support.sessions import X\n", panel) == []
