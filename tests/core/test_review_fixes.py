"""Fixes from the independent review (tests/core/test_review_cases.py): the
confirmation window after a backdated PD (C13), the C12 abbreviations, the C16
wording, and SITC-2023-ICI-chemo following SITC-2020 where its spec is silent."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.casefile import parse_case
from core.cli import main as cli_main
from core.rules import Category
from core.rules.classifier import Classification, classify
from core.rules.ici_chemo_ruleset import StudyRules
from tests.core.test_review_cases import FD, A, D, _m, case

_BASE = {
    "date": D(-7),
    "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 40}],
    "non_targets": [],
}


def run(obj: dict[str, Any], as_of: int) -> dict[str, Any]:
    course = parse_case(json.loads(json.dumps(obj)))
    out: dict[str, Any] = classify(course, FD + dt.timedelta(days=as_of)).to_json()
    return out


# ---------------------------------------------------------------------- C13 window


@pytest.mark.parametrize(
    ("unequivocal_day", "as_of", "opens", "due"),
    [
        # seen as unequivocal on day 98: a scan must be later than it, so the window opens on day 99
        (98, 98, 99, "not_yet_open"),
        (98, 99, 99, "open"),
        # seen on day 70: d1 (56) + 28 = day 84 is later than it and governs
        (70, 75, 84, "not_yet_open"),
        (70, 84, 84, "open"),
    ],
)
def test_c13_window_opens_after_the_lesion_was_seen_as_unequivocal(
    unequivocal_day: int, as_of: int, opens: int, due: str
) -> None:
    out = run(case([_m(56, 38, "equivocal"), _m(unequivocal_day, 38, "unequivocal")], baseline=_BASE), as_of)
    assert out["category"] == "pending_confirmation"
    assert out["progression_date"] == D(56)
    assert out["confirmation"]["opens"] == D(opens)
    assert out["confirmation"]["closes"] == D(56 + 84)
    assert out["confirmation"]["due_status"] == due
    assert out["key_dates"]["opens"] == D(opens)
    window = next(t for t in out["rationale"] if t.startswith("No confirmatory scan yet"))
    assert (f"after {D(unequivocal_day)}, when the new lesion was first seen as unequivocal" in window) == (
        opens == unequivocal_day + 1
    )


# ---------------------------------------------------------------------- C16 wording

_I4_CASE = case([A(14, "PR"), A(100, "PD"), A(130, "PD")], last_dose=D(21), discontinuation_reason="toxicity")


def test_c16_i4_text_says_less_than_6_weeks_of_exposure_in_cli_output(tmp_path: Path) -> None:
    f = tmp_path / "case.json"
    f.write_text(json.dumps(_I4_CASE), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert cli_main(["classify", "--as-of", D(140), str(f)], out=out, err=err) == 0, err.getvalue()
    res = json.loads(out.getvalue())
    assert res["category"] == "insufficient_exposure"
    texts = {i["id"]: i["text"] for i in res["interpretations"]}
    assert "not classifiable: less than 6 weeks of exposure" in texts["I-4"]
    everything = json.dumps(res)
    assert "not classifiable as primary resistance" not in everything
    assert "not classifiable: less than 6 weeks of exposure" in "\n".join(res["rationale"])


def test_c16_help_page_gives_the_same_i4_wording() -> None:
    help_md = Path(__file__).resolve().parents[2] / "resources" / "help" / "rules.md"
    words = " ".join(help_md.read_text(encoding="utf-8").split())
    assert "not classifiable: less than 6 weeks of exposure" in words
    assert "not classifiable as primary resistance" not in words


def test_c16_nodal_only_scan_confirmed_biopsy_awaited_is_not_progression_confirmed() -> None:
    out = run(case([A(60, "PR"), A(200, "PD", nodal_only=True), A(230, "PD", nodal_only=True)]), 240)
    assert out["category"] == "pending_confirmation"
    assert out["confirmation"]["required"] == "scan+biopsy"
    text = "\n".join(out["rationale"]).lower()
    assert "progression confirmed" not in text
    assert "the scan confirms the progression; the biopsy is awaited" in text
    # once the biopsy is positive, the progression is confirmed and said so
    out = run(
        case(
            [
                A(60, "PR"),
                A(200, "PD", nodal_only=True),
                A(230, "PD", nodal_only=True, biopsy_confirms_progression=True),
            ]
        ),
        240,
    )
    assert out["category"] == "secondary_resistance"
    assert "biopsy is awaited" not in "\n".join(out["rationale"]).lower()


# ---------------------------------------------------------------------- C12 abbreviations


@pytest.mark.parametrize(
    ("tumor", "why"),
    [
        ("HCC", "excluded (HCC: hepatocellular)"),
        ("HCC, Child-Pugh A", "excluded (HCC: hepatocellular)"),
        ("GBM", "excluded (GBM: glioblastoma)"),
        ("CRPC", "excluded (CRPC: prostate)"),
        ("mCRPC", "excluded (mCRPC: prostate)"),
        ("CLL", "hematologic"),
        ("relapsed AML", "hematologic"),
        ("MDS", "hematologic"),
        # the words stay case-insensitive whole words
        ("GLIOBLASTOMA", "excluded (glioblastoma)"),
        ("Prostate cancer", "excluded (prostate)"),
        ("HEPATOCELLULAR carcinoma", "excluded (hepatocellular)"),
        ("Ovarian", "excluded (ovarian)"),
        ("OVARY", "excluded (ovary: ovarian)"),
        ("LYMPHOMA", "hematologic"),
        ("Leukaemia", "hematologic"),
        ("MYELOMA", "hematologic"),
        ("Myelodysplastic syndrome", "hematologic"),
        ("HODGKIN", "hematologic"),
        ("hodgkin", "hematologic"),
        ("Mycosis Fungoides", "hematologic"),
        ("SÉZARY syndrome", "hematologic"),
        ("sezary", "hematologic"),
    ],
)
def test_c12_excludes(tumor: str, why: str) -> None:
    out = run(case([A(60, "PD"), A(90, "PD")], tumor_type=tumor), 100)
    assert out["category"] == "not_applicable"
    assert why in out["reason"]


@pytest.mark.parametrize(
    "tumor",
    [
        "hcc",  # C12: uppercase abbreviations only
        "Hcc-like lesion",
        "gbm",
        "crpc",
        "MCRPC",
        "Mcrpc",
        "cll",
        "aml",
        "Aml",
        "mds",
        "HCCX",  # whole words only
        "AMLish",
        "melanoma, aml negative",
    ],
)
def test_c12_abbreviations_are_case_sensitive(tumor: str) -> None:
    out = run(case([A(60, "PD"), A(90, "PD")], tumor_type=tumor), 100)
    assert out["category"] == "primary_resistance", out["reason"]


# ---------------------------------------------------------------------- ICI-chemo Step 1

CHEMO = {"agent": "pembrolizumab + carboplatin + pemetrexed", "regimen": "ici_chemotherapy"}


def _chemo(tumor: str, rules: StudyRules | None = None) -> Classification:
    course = parse_case(case([A(60, "PD")], tumor_type=tumor, **CHEMO))
    return classify(course, FD + dt.timedelta(days=70), rules or StudyRules())


@pytest.mark.parametrize(
    ("tumor", "why"),
    [
        ("HCC", "excluded (HCC: hepatocellular)"),
        ("mCRPC", "excluded (mCRPC: prostate)"),
        ("ovarian carcinoma", "excluded (ovarian)"),
        ("Glioblastoma", "excluded (glioblastoma)"),
        ("classical Hodgkin lymphoma", "hematologic"),
        ("AML", "hematologic"),
        ("Sézary syndrome", "hematologic"),
    ],
)
def test_ici_chemo_applies_sitc2020_step1_tumor_types(tumor: str, why: str) -> None:
    r = _chemo(tumor)
    assert r.ruleset.name == "SITC-2023-ICI-chemo"
    assert r.category is Category.NOT_APPLICABLE
    assert r.reason is not None
    assert why in r.reason
    assert r.progression_date is None


@pytest.mark.parametrize("tumor", ["non-small cell lung cancer", "hcc", "aml", "urothelial carcinoma"])
def test_ici_chemo_covered_tumor_types_are_classified(tumor: str) -> None:
    r = _chemo(tumor)
    assert r.ruleset.name == "SITC-2023-ICI-chemo"
    assert r.category is Category.PRIMARY_RESISTANCE


def test_ici_chemo_follows_the_study_excluded_tumor_list() -> None:
    """The study's SITC-2020 excluded_tumor_types is the one list, for both rule sets."""
    rules = StudyRules.with_overrides(sitc2020={"excluded_tumor_types": ["glioblastoma"]})
    assert _chemo("HCC", rules).category is Category.PRIMARY_RESISTANCE
    assert _chemo("GBM", rules).category is Category.NOT_APPLICABLE
    assert _chemo("multiple myeloma", rules).category is Category.NOT_APPLICABLE  # hematologic, always


@pytest.mark.parametrize(
    "pre",
    [
        A(-5, "PD"),
        A(-5, "iUPD"),
        A(-5, "SD", biopsy_confirms_progression=True),
        A(-1, "NE", biopsy_confirms_progression=True),
    ],
)
def test_ici_chemo_c4_progression_or_positive_biopsy_before_first_dose(pre: dict[str, Any]) -> None:
    course = parse_case(case([pre, A(60, "PD")], tumor_type="NSCLC", **CHEMO))
    r = classify(course, FD + dt.timedelta(days=70))
    assert r.ruleset.name == "SITC-2023-ICI-chemo"
    assert r.category is Category.INDETERMINATE
    assert r.reason is not None
    assert "before the first dose" in r.reason


def test_ici_chemo_pre_dose_baseline_response_is_accepted() -> None:
    course = parse_case(case([A(-7, "PR"), A(60, "PD")], tumor_type="NSCLC", **CHEMO))
    r = classify(course, FD + dt.timedelta(days=70))
    assert r.category is Category.PRIMARY_RESISTANCE
    assert r.progression_date == FD + dt.timedelta(days=60)
