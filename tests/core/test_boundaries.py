"""The core never imports Qt or the desktop package (architecture boundary)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import core

CORE = Path(core.__file__).parent
FORBIDDEN = ("PySide6", "shiboken6", "desktop")


def test_no_core_module_imports_qt_or_desktop() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_every_core_module_imports_with_qt_unavailable() -> None:
    script = (
        "import sys, pkgutil, importlib\n"
        "for name in ('PySide6', 'shiboken6', 'desktop'):\n"
        "    sys.modules[name] = None  # any import of it now raises ImportError\n"
        "import core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    if '.migrations.' in m.name:\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def _imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_command_line_modules_do_not_import_each_other_in_a_circle() -> None:
    """core/cli/ is one package; its modules share cli/common.py and form no import cycle
    (they never import the package itself, which imports them all)."""
    folder = CORE / "cli"
    modules = {p.stem: p for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {
        name: {m for m in modules if f"core.cli.{m}" in _imports_of(path) and m != name}
        for name, path in modules.items()
    }
    for name, path in modules.items():
        assert "core.cli" not in _imports_of(path) or name == "__init__", f"{name} imports core.cli"
    seen: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, trail: list[str]) -> None:
        assert seen.get(node) != 1, f"import cycle: {' -> '.join([*trail, node])}"
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in graph[node]:
            visit(nxt, [*trail, node])
        seen[node] = 2

    for name in graph:
        visit(name, [])
    assert not (CORE / "cli.py").exists()
    assert not (CORE / "cli_store.py").exists()
