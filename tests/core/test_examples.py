"""The worked examples of the SITC 2020 spec: the answers the classifier must give."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core.casefile import parse_document
from core.paths import resource
from core.rules import classify

EXPECTED: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "data" / "examples_expected.json").read_text(encoding="utf-8")
)


def test_every_bundled_example_has_an_expected_answer() -> None:
    shipped = {f.name.removesuffix(".json") for f in resource("examples", "cases").iterdir()}
    assert shipped == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(name: str) -> None:
    data = json.loads(resource("examples", "cases", f"{name}.json").read_text(encoding="utf-8"))
    courses, many, errors = parse_document(data, source=name)
    assert not errors
    assert not many
    expect = EXPECTED[name]["expect"]
    result = classify(courses[0], dt.date.fromisoformat(EXPECTED[name]["as_of"])).to_json()

    assert result["category"] == expect["category"]
    for key in ("provisional_category", "rule"):
        if key in expect:
            assert result[key] == expect[key], key
    for key, value in expect.get("confirmation", {}).items():
        assert result["confirmation"][key] == value, f"confirmation.{key}"
    got_codes = [c["code"] for c in result["caveats"]]
    for code in expect.get("caveat_codes", []):
        assert code in got_codes
    # Every result names its rule set and parameters, and explains itself.
    assert result["ruleset"]["name"] == "SITC-2020"
    assert result["ruleset"]["version"] == 2
    assert len(result["rationale"]) >= 2


def test_help_text_states_every_interpretation_and_rule_table() -> None:
    from core.rules import INTERPRETATIONS

    text = resource("help", "rules.md").read_text(encoding="utf-8")
    for key in INTERPRETATIONS:
        assert f"**{key}**" in text
    for table in ("Table 1", "Table 2", "Table 3", "Table 4"):
        assert table in text
