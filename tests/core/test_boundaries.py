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
