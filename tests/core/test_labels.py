"""Wherever a classification is shown it names its rule-set version and shows
codes as human labels (C16); the codes themselves stay in JSON."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from core.cli import main
from core.paths import resource
from core.presentation import caveat_text, classification_text, parameter_label, response_text
from core.rules import CAVEAT_HELP, PARAMETER_HELP, Caveat, Response
from core.rules.caveats import CAVEAT_LABELS
from core.rules.parameters import PARAMETER_LABELS
from tests.core.helpers import case, run, visit
from tests.core.test_cli import write

CODE = re.compile(r"\b[A-Z]+(?:_[A-Z]+)+\b")  # NON_CR_NON_PD, BIOPSY_NEGATIVE, ...
PARAM = re.compile(r"\b[a-z]+(?:_[a-z]+)+_days\b|\bexcluded_tumor_types\b")


def test_every_code_has_a_label() -> None:
    assert set(CAVEAT_LABELS) == set(Caveat) == set(CAVEAT_HELP)
    assert set(PARAMETER_LABELS) == set(PARAMETER_HELP)
    for code in Caveat:
        assert not CODE.search(caveat_text(code))
    assert response_text("NON_CR_NON_PD") == "Non-CR/non-PD"
    assert response_text(Response.NON_CR_NON_PD) == "Non-CR/non-PD"
    assert caveat_text("BIOPSY_NEGATIVE") == "Negative biopsy"
    assert parameter_label("sd_min_days") == "Minimum time to count SD (days after first dose)"


@pytest.mark.parametrize(
    "obj",
    [
        case(visit(63, "NON_CR_NON_PD"), visit(200, "PD", nodal_only=True), visit(230, "PD")),
        case(visit(60, "PD", nodal_only=True), visit(65, "PD", biopsy_confirms_progression=False)),
        case(visit(60, "iUPD"), visit(95, "iUPD")),
        case(visit(30, "SD"), visit(60, "PD"), visit(60, "SD")),
    ],
)
def test_text_output_names_the_version_and_shows_no_codes(obj: dict) -> None:
    r = run(obj, 240)
    shown = classification_text(r)
    assert "(SITC-2020 v2)" in shown
    assert "Rule set SITC-2020 v2" in shown
    assert not CODE.search(shown), CODE.findall(shown)
    assert not PARAM.search(shown), PARAM.findall(shown)
    for cv in r.caveats:
        assert cv.code.label in shown
    # JSON keeps the codes
    assert all(CODE.fullmatch(c["code"]) for c in r.to_json()["caveats"])


def test_rationale_never_shows_a_response_code() -> None:
    r = run(case(visit(63, "NON_CR_NON_PD"), visit(200, "PD"), visit(230, "PD")), 240)
    assert not any("NON_CR_NON_PD" in step for step in r.rationale)


def test_cli_text_output(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", case(visit(63, "NON_CR_NON_PD"), visit(200, "PD"), visit(230, "PD")))
    out, err = io.StringIO(), io.StringIO()
    code = main(["classify", "--text", "--as-of", "2024-09-01", str(path)], out=out, err=err)
    assert code == 0, err.getvalue()
    assert "Secondary resistance (SITC-2020 v2)" in out.getvalue()
    assert "Non-CR/non-PD" in out.getvalue()
    assert "NON_CR_NON_PD" not in out.getvalue()


def test_help_documents_version_2_and_every_change() -> None:
    text = resource("help", "rules.md").read_text(encoding="utf-8")
    assert "SITC-2020 v2" in text
    for k in range(1, 17):
        assert f"**C{k}**" in text
