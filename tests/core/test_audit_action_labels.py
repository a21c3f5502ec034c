"""Every audit action the program writes has words for the audit screen (walks the source,
so a new ``tx.log("something_new")`` without a label fails here)."""

from __future__ import annotations

import ast
from pathlib import Path

from core.presentation import AUDIT_ACTION_LABELS, AUDIT_PURPOSES, action_label

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("core", "desktop") for p in sorted((ROOT / d).rglob("*.py"))]


def _module_strings(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    names[target.id] = node.value.value
    return names


def _calls(tree: ast.Module, names: tuple[str, ...]) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute | ast.Name)
        and (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) in names
    ]  # fmt: skip


def _written_actions() -> tuple[set[str], list[str]]:
    """(action codes written, descriptions of calls whose action could not be worked out)."""
    purposes: set[str] = set()
    failure_words: set[str] = set()
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in SOURCES}
    for tree in trees.values():
        for call in _calls(tree, ("check_password", "authenticate")):
            for kw in call.keywords:
                if kw.arg == "purpose" and isinstance(kw.value, ast.Constant):
                    purposes.add(kw.value.value)
        for call in _calls(tree, ("record_failure",)):
            if len(call.args) >= 3 and isinstance(call.args[2], ast.Constant):
                failure_words.add(str(call.args[2].value).split()[0])
        for fn in ast.walk(tree):  # the purpose parameter's default ("login")
            if isinstance(fn, ast.FunctionDef):
                for arg, default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
                    if arg.arg == "purpose" and isinstance(default, ast.Constant):
                        purposes.add(default.value)
    actions: set[str] = set()
    unknown: list[str] = []
    for path, tree in trees.items():
        consts = _module_strings(tree)
        for call in _calls(tree, ("log", "log_event")):
            args = call.args[1:] if getattr(call.func, "attr", "") == "log_event" else call.args
            if not args:
                continue
            a = args[0]
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                actions.add(a.value)
            elif isinstance(a, ast.Name) and a.id in consts:
                actions.add(consts[a.id])
            elif isinstance(a, ast.Name) and a.id in ("purpose", "action"):
                actions |= purposes if a.id == "purpose" else set()  # log_event passes its caller's
            elif isinstance(a, ast.JoinedStr) and isinstance(a.values[-1], ast.Constant):
                suffix = str(a.values[-1].value)
                source = ast.unparse(a)
                stems = purposes if "{purpose}" in source else failure_words if "what" in source else set()
                if not stems:
                    unknown.append(where)
                actions |= {stem + suffix for stem in stems}
            else:
                unknown.append(where)
    return actions, unknown


def test_every_written_action_has_words() -> None:
    actions, unknown = _written_actions()
    assert not unknown, f"audit actions the test cannot work out: {unknown}"
    # the walk finds what it should (a broken walk would pass trivially)
    assert {"insert", "update", "login_failed", "rules_upgrade", "site_ca_created", "sign"} <= actions
    assert set(AUDIT_PURPOSES) >= {a for a in actions if f"{a}_failed" in actions}
    missing = sorted(a for a in actions if a not in AUDIT_ACTION_LABELS)
    assert not missing, f"audit actions without words: {missing}"
    for a in actions:
        words = action_label(a)
        assert "_" not in words, (a, words)
        assert words[:1].isupper(), (a, words)


def test_action_label_words() -> None:
    assert action_label("login_failed") == "Sign-in failed"
    assert action_label("study_file_id_created") == "Study file identity created"
    assert action_label("rules_upgrade") == "Re-classified under new rules"
    assert action_label(None) == ""
