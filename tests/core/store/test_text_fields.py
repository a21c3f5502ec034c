"""Study and account names follow the case files' text rules (issue 15), named by field."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from core.casefile import parse_case
from core.errors import CaseFormatError, InputError
from core.store import Actor, Role, Store


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("protocol_id", "P\x00-1", "control character"),
        ("protocol_id", "P" * 65, "at most 64"),
        ("title", "A trial \ud800", "lone surrogate"),
        ("sponsor", "Acme\u202e", "direction control"),
        ("site", "x" * 201, "at most 200"),
    ],
)
def test_study_text_is_checked(store: Store, admin: Actor, field: str, value: str, fragment: str) -> None:
    values = {"protocol_id": "P-2", "title": "Second trial", "sponsor": "", "site": ""} | {field: value}
    with pytest.raises(InputError) as info:
        store.create_study(
            admin, values["protocol_id"], values["title"], sponsor=values["sponsor"], site=values["site"]
        )
    assert info.value.field == field
    assert fragment in info.value.message
    assert [s.protocol_id for s in store.studies()] == ["P-001"]


def test_a_title_may_start_with_a_sign(store: Store, admin: Actor) -> None:
    store.create_study(admin, "P-3", "-- phase 1b --")  # not a spreadsheet cell: no formula rule


def test_printed_name_is_checked(store: Store, admin: Actor) -> None:
    with pytest.raises(InputError) as info:
        store.create_user(admin, "newbie", "Dr\x1b[31m Red", Role.COORDINATOR, "a-long-enough-pass")
    assert info.value.field == "full_name"
    assert "control character" in info.value.message


def test_data_stored_under_looser_limits_still_reads(
    store: Store, admin: Actor, study_id: int, db_path: Path, tmp_path: Path
) -> None:
    """A database written before these limits (here: forged with SQL) stays readable and
    exportable; only new input is held to the limits."""
    case = {"subject_id": "OLD-1", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
            "first_dose": "2024-01-08", "assessments": [{"date": "2024-02-26", "response": "SD"}],
            "baseline": {"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "mm": 30}]}}  # fmt: skip
    store.import_cases(admin, study_id, [parse_case(case)])
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE baseline_lesion SET organ = '=liver', mm = '2000'")
        conn.execute("UPDATE subject SET tumor_type = 'mel\tanoma'")
        conn.execute("UPDATE assessment SET notes = 'x\ry', progressing_sites = 500")
    pk = store.subject_pk(study_id, "OLD-1")
    course = store.course(pk)
    assert course.baseline is not None
    assert course.baseline.targets[0].mm == 2000
    assert course.tumor_type == "mel\tanoma"
    assert [r.subject_id for r in store.roster_rows(study_id, store.today())] == ["OLD-1"]
    assert store.export_cases(study_id)[0]["baseline"]["targets"][0]["organ"] == "=liver"
    with pytest.raises(InputError) as info:  # a change is checked under today's limits, naming the field
        store.update_subject(admin, pk, {"agent": "nivolumab"}, reason="agent recorded")
    assert info.value.field in {
        "tumor_type",
        "assessments[0].notes",
        "baseline target T1.mm",
        "baseline target T1.organ",
    }
    with pytest.raises(CaseFormatError):
        parse_case(store.case(pk))  # as input, the same case is refused


@pytest.mark.parametrize(
    ("reason", "fragment"),
    [("typo\x00", "control character"), ("a\rb", "control character"), ("x" * 1001, "at most 1000")],
)
def test_reasons_for_changes_are_checked(
    store: Store, admin: Actor, study_id: int, reason: str, fragment: str
) -> None:
    case = {"subject_id": "R-1", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
            "first_dose": "2024-01-08"}  # fmt: skip
    store.import_cases(admin, study_id, [parse_case(case)])
    pk = store.subject_pk(study_id, "R-1")
    with pytest.raises(InputError) as info:
        store.update_subject(admin, pk, {"agent": "nivolumab"}, reason=reason)
    assert info.value.field == "reason"
    assert fragment in info.value.message
    assert store.case(pk).get("agent") is None
