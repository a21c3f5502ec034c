"""Strict case-file parsing: every malformed input names its field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.casefile import parse_case, parse_document, read_document
from core.errors import CaseFormatError
from tests.core.helpers import case, visit


def error_of(obj: Any) -> CaseFormatError:
    with pytest.raises(CaseFormatError) as info:
        parse_case(obj)
    return info.value


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        (lambda c: c.update(extra=1), "extra", "unknown field"),
        (lambda c: c["assessments"][0].update(respnse="PD"), "assessments[0].respnse", "unknown field"),
        (lambda c: c.update(first_dose="2024-13-01"), "first_dose", "not a date"),
        (lambda c: c.update(first_dose="2024/01/08"), "first_dose", "not a date"),
        (lambda c: c.update(first_dose=20240108), "first_dose", "not a date"),
        (lambda c: c.pop("first_dose"), "first_dose", "required"),
        (lambda c: c.pop("subject_id"), "subject_id", "required"),
        (lambda c: c.update(subject_id="  "), "subject_id", "empty"),
        (lambda c: c.update(setting="metastatic"), "setting", "unknown value"),
        (lambda c: c.update(regimen="mono"), "regimen", "unknown value"),
        (lambda c: c.update(discontinuation_reason="tox"), "discontinuation_reason", "unknown value"),
        (lambda c: c.update(last_dose="2024-01-01"), "last_dose", "before first_dose"),
        (lambda c: c.update(indolent="yes"), "indolent", "true or false"),
        (lambda c: c.update(format="resistdesk-case/2"), "format", "expected"),
        (lambda c: c.update(criteria="RECIST 1.0"), "criteria", "unknown value"),
        (lambda c: c["assessments"][0].update(response="PDX"), "assessments[0].response", "unknown value"),
        (lambda c: c["assessments"][0].pop("response"), "assessments[0].response", "required"),
        (lambda c: c["assessments"][0].pop("date"), "assessments[0].date", "required"),
        (lambda c: c["assessments"][0].update(date="2024-01-01"), "assessments[0].date", "before first_dose"),
        (lambda c: c["assessments"][0].update(ecog=6), "assessments[0].ecog", "0 to 5"),
        (
            lambda c: c["assessments"][0].update(progressing_sites=-1),
            "assessments[0].progressing_sites",
            "at least 0",
        ),
        (lambda c: c["assessments"][0].update(nodal_only=1), "assessments[0].nodal_only", "true or false"),
        (lambda c: c.update(assessments={}), "assessments", "list"),
    ],
)  # fmt: skip
def test_malformed_input_names_the_field(mutate: Any, field: str, fragment: str) -> None:
    obj = case(visit(49, "SD"), visit(105, "PD"))
    mutate(obj)
    err = error_of(obj)
    assert err.field == field
    assert fragment in err.message


def test_document_errors_name_file_and_case() -> None:
    good = case(visit(49, "SD"))
    bad = case(visit(49, "XX"))
    bad["subject_id"] = "MEL-002"
    courses, many, errors = parse_document([good, bad], source="roster.json")
    assert many
    assert len(courses) == 1
    assert len(errors) == 1
    text = str(errors[0])
    assert "roster.json" in text
    assert "case 2 (MEL-002)" in text
    assert "assessments[0].response" in text


def test_read_document_reports_bad_json(tmp_path: Path) -> None:
    f = tmp_path / "broken.json"
    f.write_text("{not json", encoding="utf-8")
    with pytest.raises(CaseFormatError) as info:
        read_document(f)
    assert "broken.json" in str(info.value)
    assert "line 1" in str(info.value)


def test_optional_fields_default() -> None:
    obj = {
        "subject_id": "S",
        "tumor_type": "melanoma",
        "setting": "advanced",
        "regimen": "monotherapy",
        "first_dose": "2024-01-08",
    }
    course = parse_case(obj)
    assert course.assessments == ()
    assert course.last_dose is None
    assert not course.indolent


def test_example_case_file_parses() -> None:
    text = json.dumps(case(visit(49, "SD", ecog=1, notes="scan at outside hospital")))
    course = parse_case(json.loads(text))
    assert course.assessments[0].ecog == 1
    assert course.assessments[0].notes == ("scan at outside hospital",)
