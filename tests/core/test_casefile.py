"""Strict case-file parsing: every malformed input names its field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.casefile import parse_case, parse_document, read_document
from core.errors import CaseFormatError
from tests.core.helpers import case, day, visit


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
        (lambda c: c["assessments"][0].update(ecog=6), "assessments[0].ecog", "0 to 5"),
        (
            lambda c: c["assessments"][0].update(progressing_sites=-1),
            "assessments[0].progressing_sites",
            "0 to 100",
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


@pytest.mark.parametrize("setting", ["advanced", "adjuvant", "neoadjuvant"])
def test_assessment_before_first_dose_is_accepted_in_every_setting(setting: str) -> None:
    """Rules v2 C4/C10: a pre-dose scan is a baseline (or makes the case indeterminate), not malformed."""
    course = parse_case(case(visit(-7, "PR"), visit(60, "PD"), setting=setting))
    assert [a.date for a in course.assessments] == [day(-7), day(60)]


def test_example_case_file_parses() -> None:
    text = json.dumps(case(visit(49, "SD", ecog=1, notes="scan at outside hospital")))
    course = parse_case(json.loads(text))
    assert course.assessments[0].ecog == 1
    assert course.assessments[0].notes == ("scan at outside hospital",)


# ---------------------------------------------------------------------------
# Hostile input (issue 15): explicit limits, named in the message, never a traceback.


def file_errors(tmp_path: Path, text: str | bytes, name: str = "in.json") -> list[str]:
    """Read and parse a case file as the command line does: the error texts."""
    f = tmp_path / name
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        data = read_document(f)
    except CaseFormatError as exc:
        return [str(exc)]
    return [str(e) for e in parse_document(data, source=str(f))[2]]


def test_duplicate_keys_are_an_error_naming_the_field(tmp_path: Path) -> None:
    text = json.dumps(case(visit(49, "SD")))
    top = text.replace('"tumor_type": "melanoma"', '"tumor_type": "melanoma", "tumor_type": "glioblastoma"')
    [message] = file_errors(tmp_path, top)
    assert "in.json" in message
    assert "case (TEST-001)" in message
    assert "'tumor_type'" in message
    assert "twice" in message
    nested = text.replace('"response": "SD"', '"response": "PD", "response": "CR"')
    [message] = file_errors(tmp_path, nested)
    assert "assessments[0].response" in message


def test_deep_nesting_is_refused_with_the_limit(tmp_path: Path) -> None:
    [message] = file_errors(tmp_path, "[" * 1000 + "]" * 1000)
    assert "nested more than 20 deep" in message
    assert "in.json" in message
    [message] = file_errors(tmp_path, '{"notes": "' + "[" * 5000 + '"}')  # brackets inside a string
    assert "nested" not in message


@pytest.mark.parametrize(
    ("literal", "fragment"),
    [("9" * 5000, "a number of 5000 characters"), (str(2**63), "0 to 5"), ("1e400", "whole number")],
)
def test_huge_numbers_are_named(tmp_path: Path, literal: str, fragment: str) -> None:
    text = json.dumps(case(visit(49, "SD", ecog=0))).replace('"ecog": 0', f'"ecog": {literal}')
    [message] = file_errors(tmp_path, text)
    assert "assessments[0].ecog" in message
    assert fragment in message


def test_huge_lesion_and_site_counts(tmp_path: Path) -> None:
    obj = case(visit(49, "SD", progressing_sites=2**63))
    assert "0 to 100" in error_of(obj).message
    obj = case(
        visit(49, None, lesions={"targets": {"T1": 10**100}, "non_targets": {}}),
        baseline={"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "mm": 20}]},
    )
    del obj["assessments"][0]["response"]
    err = error_of(obj)
    assert err.field == "assessments[0].lesions.targets.T1"
    assert "at most 1000 mm" in err.message
    assert len(err.message) < 120  # the number is not printed in full
    obj["baseline"]["targets"][0]["mm"] = 1000.5
    assert "at most 1000 mm" in error_of(obj).message


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_dates_outside_1900_2100_are_refused(day: str) -> None:
    err = error_of(case(visit(49, "SD"), last=None) | {"first_dose": day})
    assert err.field == "first_dose"
    assert "1900-01-01 to 2100-12-31" in err.message


def test_dates_at_the_bounds_are_accepted() -> None:
    assert parse_case(case() | {"first_dose": "1900-01-01"}).first_dose.year == 1900
    assert parse_case(case() | {"first_dose": "2100-12-31"}).first_dose.year == 2100


@pytest.mark.parametrize("day", ["２０２４-01-08", "2024-01-08\n", "+2024-01-08"])
def test_only_ascii_dates(day: str) -> None:
    assert "not a date" in error_of(case() | {"first_dose": day}).message


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("subject_id", "\ud800", "lone surrogate"),
        ("subject_id", "S\x00", "control character"),
        ("subject_id", "S\u202e1", "direction control"),
        ("subject_id", "S" * 65, "at most 64"),
        ("tumor_type", "x" * 201, "at most 200"),
        ("tumor_type", "melanoma\nglioblastoma", "control character"),
        ("agent", "=cmd|' /C calc'!A0", "formula"),
        ("subject_id", "+1", "formula"),
        ("tumor_type", "-melanoma", "formula"),
        ("agent", "@SUM(A1)", "formula"),
        ("agent", " =1+1", "formula"),  # trimmed first: a leading space does not hide it
    ],
)
def test_text_fields_are_checked(field: str, value: str, fragment: str) -> None:
    err = error_of(case(visit(49, "SD")) | {field: value})
    assert err.field == field
    assert fragment in err.message
    assert "\ud800" not in str(err)  # the message itself can be printed


def test_lone_surrogate_from_json_escape(tmp_path: Path) -> None:
    text = json.dumps(case(visit(49, "SD"))).replace('"TEST-001"', '"\\ud800"')
    [message] = file_errors(tmp_path, text)
    assert "subject_id" in message
    assert "surrogate" in message
    message.encode("utf-8")  # printable as UTF-8


def test_notes_are_one_checked_text() -> None:
    course = parse_case(case(visit(49, "SD", notes=[" first ", "", "second"])))
    assert course.assessments[0].notes == ("first\nsecond",)
    # Free text, never exported to a spreadsheet: a leading sign, newlines and tabs are fine.
    assert parse_case(case(visit(49, "SD", notes="- seen\n\tagain"))).assessments[0].notes == (
        "- seen\n\tagain",
    )
    assert "control" in error_of(case(visit(49, "SD", notes="a\rb"))).message
    assert "at most 4000" in error_of(case(visit(49, "SD", notes="x" * 4001))).message
    assert "at most 100" in error_of(case(visit(49, "SD", notes=["x"] * 101))).message


def test_counts_are_bounded() -> None:
    many = [visit(49, "SD")] * 1001
    assert "at most 1000" in error_of(case(*many)).message
    obj = case(
        baseline={"date": "2024-01-02", "targets": [], "non_targets": [{"id": f"N{k}"} for k in range(101)]}
    )
    assert error_of(obj).field == "baseline.non_targets"


def test_nan_and_bad_encoding_and_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [message] = file_errors(tmp_path, '{"subject_id": NaN}')
    assert "NaN" in message
    [message] = file_errors(
        tmp_path, json.dumps(case()).replace("melanoma", "m\u00e9lanome").encode("cp1252")
    )
    assert "not UTF-8" in message
    assert "in.json" in message
    assert file_errors(tmp_path, b"\xef\xbb\xbf" + json.dumps(case()).encode()) == []  # a BOM is fine
    monkeypatch.setattr("core.limits.MAX_FILE_BYTES", 100)
    [message] = file_errors(tmp_path, json.dumps(case()))
    assert "size limit" in message
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(CaseFormatError) as info:
        read_document(tmp_path / "folder.json")
    assert "folder.json" in str(info.value)
