"""The store and the second rule set: regimen ici_chemotherapy, the rapid-progression
flag, the study's separate overrides and enrolled regimens, imports and exports."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from core.casefile import parse_case
from core.errors import InputError
from core.rules import Category
from core.store import Actor, Store
from core.store.migrate import current_revision, head_revision, migrate
from tests.core.store.conftest import subject_fields
from tests.core.store.test_worksheets import PASSWORD as WS_PASSWORD
from tests.core.store.test_worksheets import _text, needs_poppler

AS_OF = dt.date(2024, 12, 1)


def chemo_fields(code: str = "LUNG-001", **extra: object) -> dict[str, object]:
    return subject_fields(
        code,
        tumor_type="non-small cell lung cancer",
        regimen="ici_chemotherapy",
        agent="pembrolizumab + carboplatin + pemetrexed",
        **extra,
    )


def test_chemo_subject_with_rapid_progression_is_stored_classified_and_exported(
    store: Store, admin: Actor, study_id: int
) -> None:
    pk = store.add_subject(admin, study_id, chemo_fields())
    store.add_assessment(admin, pk, {"date": "2024-02-05", "response": "PD", "rapid_progression": True})
    result = store.classify_subject(pk, AS_OF)
    assert result.ruleset.name == "SITC-2023-ICI-chemo"
    assert result.category is Category.PRIMARY_RESISTANCE  # 28 days, rapid progression
    [case] = store.export_cases(study_id, "LUNG-001")
    assert case["regimen"] == "ici_chemotherapy"
    assert case["assessments"][0]["rapid_progression"] is True
    # The flag is what decided: without it, too little exposure.
    visit = store.subject_rows(pk).assessments[0]
    assert visit.id is not None
    store.update_assessment(
        admin, visit.id, {"date": "2024-02-05", "response": "PD"}, "flag entered in error"
    )
    assert store.classify_subject(pk, AS_OF).category is Category.INSUFFICIENT_EXPOSURE
    assert "rapid_progression" not in store.export_cases(study_id, "LUNG-001")[0]["assessments"][0]


def test_import_export_round_trip_keeps_regimen_and_flag(store: Store, admin: Actor, study_id: int) -> None:
    case = {
        "format": "resistdesk-case/1",
        **chemo_fields("LUNG-002"),
        "assessments": [{"date": "2024-02-05", "response": "PD", "rapid_progression": True}],
    }
    store.import_cases(admin, study_id, [parse_case(case)])
    [back] = store.export_cases(study_id, "LUNG-002")
    assert parse_case(back) == parse_case(case)


def test_roster_classifies_each_subject_under_its_rule_set(store: Store, admin: Actor, study_id: int) -> None:
    mono = store.add_subject(admin, study_id, subject_fields("MEL-001"))
    chemo = store.add_subject(admin, study_id, chemo_fields())
    for pk in (mono, chemo):
        store.add_assessment(admin, pk, {"date": "2024-04-22", "response": "PD"})
    rows = {r.subject_id: r for r in store.roster_rows(study_id, AS_OF)}
    assert rows["MEL-001"].result.ruleset.name == "SITC-2020"
    assert rows["MEL-001"].category is Category.PENDING_CONFIRMATION
    assert rows["LUNG-001"].result.ruleset.name == "SITC-2023-ICI-chemo"
    assert rows["LUNG-001"].category is Category.PRIMARY_RESISTANCE
    assert rows["LUNG-001"].result.confirmation.status == "not_required"


def test_study_overrides_each_rule_set_separately(store: Store, admin: Actor, study_id: int) -> None:
    pk = store.add_subject(admin, study_id, chemo_fields())
    store.add_assessment(admin, pk, {"date": "2024-02-26", "response": "PD"})  # day 49
    assert store.classify_subject(pk, AS_OF).category is Category.PRIMARY_RESISTANCE
    store.update_study(
        admin, study_id, {"ici_chemo_overrides": {"min_exposure_days": 56}}, "protocol: 8 weeks"
    )
    study = store.study(study_id)
    assert store.rules(study).ici_chemo.overrides == {"min_exposure_days": 56}
    assert store.ruleset(study).overrides == {}
    assert store.classify_subject(pk, AS_OF).category is Category.INSUFFICIENT_EXPOSURE
    store.update_study(admin, study_id, {"rule_overrides": {"min_exposure_days": 30}}, "other rule set")
    assert store.rules(store.study(study_id)).ici_chemo.overrides == {"min_exposure_days": 56}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ici_chemo_overrides": {"min_exposure_days": 60}}, "ici_chemo_overrides.min_exposure_days"),
        ({"ici_chemo_overrides": {"confirm_min_days": 28}}, "ici_chemo_overrides.confirm_min_days"),
        ({"enrolled_regimens": ["combination"]}, "enrolled_regimens"),
    ],
)
def test_bad_study_settings_name_the_field(
    store: Store, admin: Actor, study_id: int, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InputError) as info:
        store.update_study(admin, study_id, changes, "try")
    assert info.value.field == field


def test_enrolled_regimens_are_stored(store: Store, admin: Actor, study_id: int) -> None:
    store.update_study(
        admin, study_id, {"enrolled_regimens": ["ici_chemotherapy", "monotherapy"]}, "protocol v2"
    )
    assert store.study(study_id).enrolled_regimens == '["ici_chemotherapy", "monotherapy"]'


def test_database_at_0003_is_upgraded_and_old_visits_are_not_rapid(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    migrate(db, target="0003")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO study (protocol_id, title, sponsor, site, criteria, rule_overrides, "
            "enrolled_categories, paper_size, is_demo) VALUES ('OLD', 'Old', '', '', 'RECIST 1.1', '{}', '[]', 'A4', 0)"
        )
        conn.execute(
            "INSERT INTO subject (study_id, subject_code, tumor_type, indolent, setting, status) "
            "VALUES (1, 'S-1', 'NSCLC', 0, 'advanced', 'active')"
        )
        conn.execute(
            "INSERT INTO course (subject_id, agent, regimen, first_dose, intercurrent_therapy, "
            "adjuvant_after_neoadjuvant) VALUES (1, 'pembrolizumab', 'monotherapy', '2024-01-08', 0, 0)"
        )
        conn.execute(
            "INSERT INTO assessment (subject_id, date, modality, response, clinical_progression, "
            "symptomatic, nodal_only, multiple_metastases, notes) "
            "VALUES (1, '2024-02-05', 'CT', 'PD', 0, 0, 0, 0, '')"
        )
    with Store.open(db, backup_daily=False) as store:
        study = store.studies()[0]
        assert store.rules(study).ici_chemo.overrides == {}
        [case] = store.export_cases(study.id or 0)
    assert current_revision(db) == head_revision()
    assert "rapid_progression" not in case["assessments"][0]


def test_demo_study_has_chemo_immunotherapy_subjects_in_each_category(tmp_path: Path) -> None:
    from core.store.demo import create_demo

    today = dt.date(2026, 11, 24)
    store = create_demo(tmp_path / "demo.sqlite3", "demo-password", today=today)
    study = store.studies()[0]
    rows = store.roster_rows(study.id or 0, today)
    chemo = [r for r in rows if r.result.ruleset.name == "SITC-2023-ICI-chemo"]
    categories = {r.category for r in chemo}
    assert {
        Category.PRIMARY_RESISTANCE,
        Category.SECONDARY_RESISTANCE,
        Category.INSUFFICIENT_EXPOSURE,
        Category.INDETERMINATE,
        Category.NO_PROGRESSION,
        Category.NOT_APPLICABLE,
    } <= categories
    codes = {c.code.value for r in chemo for c in r.result.caveats}
    assert {"RAPID_PROGRESSION_ANY_EXPOSURE", "REGIMEN_CONTRADICTS_AGENT", "LATER_RESPONSE_AFTER_PD"} <= codes
    assert all(r.result.confirmation.status != "pending" for r in chemo)
    assert study.enrolled_regimens == '["ici_chemotherapy", "monotherapy"]'
    store.close()


@needs_poppler
@pytest.mark.parametrize(
    ("code", "needles"),
    [
        ("NSCLC-035", ("Secondary or late resistance", "SITC-2023 ICI-chemo Table 3 secondary or late")),
        (
            "SCLC-033",
            ("Primary resistance", "rapid progression", "Rapidly progressing disease: any"),
        ),
    ],
)
def test_chemo_worksheet_names_the_rule_set_and_its_table_and_verifies(
    tmp_path: Path, code: str, needles: tuple[str, ...]
) -> None:
    from core.store.demo import create_demo
    from core.store.site_keys import site_certificate_pem
    from core.store.worksheets import prepare_worksheet, sign_worksheet
    from core.worksheet.pdfsign import verify_pdf

    store = create_demo(tmp_path / "demo.sqlite3", WS_PASSWORD)
    pk = store.subject_pk(store.studies()[0].id or 0, code)
    wid, _ = prepare_worksheet(store, store.authenticate("coordinator", WS_PASSWORD), pk, store.today())
    pdf = sign_worksheet(store, store.authenticate("investigator", WS_PASSWORD), wid, WS_PASSWORD)
    text = " ".join(_text(pdf, tmp_path).split())
    for needle in (
        "SITC-2023-ICI-chemo v1",
        "Table 3 of Rizvi et al., J Immunother Cancer 2023;11:e005920",
        "PD-(L)1 + chemotherapy",
        *needles,
    ):
        assert needle in text, needle
    report = verify_pdf(pdf, site_certificate_pem(store))
    check = next(c for c in report.checks if c.name == "re-classification")
    assert check.ok, check.detail
    assert "SITC-2023-ICI-chemo" in check.detail
    store.close()
