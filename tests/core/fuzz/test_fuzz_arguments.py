"""Fuzzed argument lists (issue 15): a message and an exit status, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from core.paths import resource
from tests.core.fuzz.harness import Harness, fuzz_settings
from tests.core.fuzz.strategies import argument_lists


@pytest.fixture(scope="module")
def places(harness: Harness) -> dict[str, str]:
    folder = harness.folder()
    garbage = folder / "garbage.sqlite3"
    garbage.write_text("not a database", encoding="utf-8")
    return {
        "dir": str(folder),
        "missing": str(folder / "none" / "x"),
        "case": str(resource("examples", "cases", "primary-confirmed.json")),
        "db": str(harness.fresh_db()),
        "garbage": str(garbage),
    }


@fuzz_settings(quick=120, long=4000)
@given(argv=argument_lists())
def test_any_argument_list_ends_in_a_message(
    harness: Harness, places: dict[str, str], argv: list[str]
) -> None:
    argv = [a.format(**places) if "{" in a and "}" in a and a.strip("{}") in places else a for a in argv]
    r = harness.run(*argv)
    r.check_no_crash()
    assert Path(places["garbage"]).read_text(encoding="utf-8") == "not a database"
