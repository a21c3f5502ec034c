"""The audit log an inspector gets: everything of a subject, pages with a total,
values that cannot forge lines, CSV and PDF exports."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.store import Actor, Role, Store
from core.store.audit import AuditFilter, printable
from core.store.audit_export import write_csv, write_pdf
from core.store.worksheets import prepare_worksheet
from tests.core.store.conftest import PASSWORD, subject_fields
from tests.core.test_cli import EXE

ADMIN = Actor("admin", Role.ADMINISTRATOR, "Ada Admin", 1)
BASELINE = {"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 30}]}
FORGED = "typo\n999\t2025-06-01T12:00:00\tinv\tsign worksheet#1 (reason: reviewed)"


@pytest.fixture
def history(store: Store, study_id: int) -> Store:
    """Subject A with every kind of row, changed and partly deleted; subject B beside it."""
    a = store.add_subject(ADMIN, study_id, subject_fields("SUBJ-A"))
    b = store.add_subject(ADMIN, study_id, subject_fields("SUBJ-B"))
    store.set_baseline(ADMIN, a, BASELINE)
    lesions = {"targets": {"T1": 20}, "non_targets": {}, "new_lesions": "none"}
    visit = store.add_assessment(ADMIN, a, {"date": "2024-03-01", "lesions": lesions})
    store.update_assessment(
        ADMIN, visit, {"date": "2024-03-01", "ecog": 1, "lesions": {**lesions, "targets": {"T1": 22}}}, FORGED
    )
    gone = store.add_assessment(ADMIN, a, {"date": "2024-04-01", "response": "SD"})
    store.delete_assessment(ADMIN, gone, reason="duplicate")
    store.update_subject(ADMIN, a, {"tumor_type": "renal cell carcinoma"}, reason="correction")
    store.add_assessment(ADMIN, b, {"date": "2024-03-01", "response": "PD"})
    prepare_worksheet(store, ADMIN, a, store.today())
    return store


def test_a_subject_filter_finds_everything_that_belongs_to_the_subject(history: Store) -> None:
    page = history.audit_page(AuditFilter(subject="SUBJ-A"), page_size=1000)
    entities = {(r.entity, r.action) for r in page.rows}
    for expected in [
        ("subject", "insert"), ("subject", "update"), ("course", "insert"), ("baseline_lesion", "insert"),
        ("assessment", "insert"), ("assessment", "update"), ("assessment", "delete"),
        ("measurement", "insert"), ("measurement", "update"), ("worksheet", "insert"),
    ]:  # fmt: skip
        assert expected in entities, expected
    assert {r.subject for r in page.rows} == {"SUBJ-A"}
    other = history.audit_page(AuditFilter(subject="SUBJ-B"), page_size=1000)
    assert not {r.id for r in page.rows} & {r.id for r in other.rows}


def test_every_row_shows_its_subject(history: Store) -> None:
    rows = list(history.audit_rows())
    assert {r.subject for r in rows if r.entity == "measurement"} == {"SUBJ-A"}
    assert {r.subject for r in rows if r.entity == "assessment"} == {"SUBJ-A", "SUBJ-B"}
    assert all(r.subject == "" for r in rows if r.entity == "user_account")


def test_pages_say_what_they_show_out_of_how_many(history: Store) -> None:
    total = len(list(history.audit_rows()))
    first = history.audit_page(page_size=10)
    assert first.total == total
    assert first.describe().startswith(f"showing {total - 9}-{total} of {total}")
    second = history.audit_page(page=2, page_size=10)
    assert second.rows[-1].id == first.rows[0].id - 1
    everything = [
        r.id for p in range(1, first.pages + 1) for r in history.audit_page(page=p, page_size=10).rows
    ]
    assert sorted(everything) == list(range(1, total + 1))
    by_subject = history.audit_page(AuditFilter(subject="SUBJ-A"), page=2, page_size=5)
    assert by_subject.describe().startswith(f"showing {by_subject.total - 9}-{by_subject.total - 5} of")


def test_newlines_and_control_characters_cannot_forge_lines(history: Store) -> None:
    assert printable("a\nb\r\tc\x1b\u202e\\") == "a\\nb\\r\\tc\\u001b\\u202e\\\\"
    lines = [r.line() for r in history.audit_rows()]
    assert all("\n" not in line and "\r" not in line for line in lines)
    forged = next(line for line in lines if "typo" in line)
    assert "typo\\n999\\t2025-06-01" in forged


def test_the_cli_log_pages_and_escapes(history: Store) -> None:
    def log(*extra: str) -> str:
        r = subprocess.run(
            [EXE, "audit", "log", "--db", str(history.path), "--user", "admin", *extra],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        return r.stdout

    out = log("--limit", "5")
    lines = out.splitlines()
    assert lines[0].startswith("# showing ")
    assert " of " in lines[0]
    assert len([line for line in lines if not line.startswith("#")]) == 5
    assert lines[-1] == "# older events: --page 2"
    out = log("--subject", "SUBJ-A", "--limit", "1000")
    events = [line for line in out.splitlines() if not line.startswith("#")]
    assert all("[subject SUBJ-A]" in line for line in events)
    assert not any(line.startswith("999\t") for line in out.splitlines())  # the forged line is not a line


def test_csv_export_is_formula_safe_and_one_line_per_event(
    history: Store, study_id: int, tmp_path: Path
) -> None:
    pk = history.subject_pk(study_id, "SUBJ-B")
    history.update_subject(ADMIN, pk, {"tumor_type": "renal"}, reason='=HYPERLINK("http://x")')
    history.update_subject(ADMIN, pk, {"tumor_type": "lung"}, reason="+cmd|' /C calc'!A0")
    dest = tmp_path / "trail.csv"
    count = write_csv(history.audit_rows(), dest)
    with dest.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == count + 1
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert '\'=HYPERLINK("http://x")' in cells
    assert len(dest.read_text(encoding="utf-8").splitlines()) == count + 1


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed to read the PDF"
)
def test_the_pdf_report_states_study_period_filters_chain_and_anchors(history: Store, tmp_path: Path) -> None:
    import datetime as dt

    flt = AuditFilter(subject="SUBJ-A", since=dt.date(2020, 1, 1))
    dest = tmp_path / "report.pdf"
    count = write_pdf(history, flt, dest, generated_by="Ada Admin")
    assert count == history.audit_page(flt).total
    text = subprocess.run(
        ["pdftotext", "-layout", str(dest), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ["Audit trail report", "P-001", "Period: 2020-01-01", "subject SUBJ-A", "hash chain",
                     "replay: every audited table matches", "anchors checked", "Ada Admin", "SUBJ-A"]:  # fmt: skip
        assert expected in text, expected
    assert "SUBJ-B" not in text
    # actions in words, as on the screen (the CSV keeps the codes)
    assert "Added" in text
    assert not re.search(r"\binsert\b|\bupdate\b", text)


def test_cli_exports_csv_and_pdf(history: Store, tmp_path: Path) -> None:
    for name in ("t.csv", "t.pdf"):
        r = subprocess.run(
            [EXE, "audit", "export", "--db", str(history.path), "--user", "coord", "--subject", "SUBJ-A",
             "-o", str(tmp_path / name)],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert (tmp_path / name).stat().st_size > 100
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    assert history.audit_events(limit=1)[0].action == "export"


def test_a_renamed_subject_is_found_by_any_of_its_codes(history: Store, study_id: int) -> None:
    pk = history.subject_pk(study_id, "SUBJ-A")
    before = history.audit_page(AuditFilter(subject="SUBJ-A"), page_size=1000).total
    history.update_subject(ADMIN, pk, {"subject_id": "SUBJ-A2"}, reason="typo in the id")
    by_old = history.audit_page(AuditFilter(subject="SUBJ-A"), page_size=1000)
    by_new = history.audit_page(AuditFilter(subject="SUBJ-A2"), page_size=1000)
    assert by_old.total == by_new.total == before + 1
    assert {r.subject for r in by_new.rows} == {"SUBJ-A2"}


def _pdf_text(path: Path) -> str:
    """The text of every page of a PDF, read back with pypdfium2 (the app's own PDF reader)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            text = page.get_textpage()
            pages.append(text.get_text_range())
            text.close()
            page.close()
    finally:
        pdf.close()
    return re.sub(r"\s+", " ", " ".join(pages))


def test_the_pdf_report_shows_changes_in_the_words_of_the_audit_screen(
    store: Store, study_id: int, tmp_path: Path
) -> None:
    from core.presentation import audit_change_text

    pk = store.add_subject(ADMIN, study_id, subject_fields("SUBJ-W", regimen="ici_chemotherapy"))
    store.set_baseline(ADMIN, pk, {**BASELINE, "non_targets": [{"id": "NT1", "organ": "bone"}]})
    lesions = {"targets": {"T1": 20}, "non_targets": {"NT1": "present"}, "new_lesions": "none"}
    visit = store.add_assessment(
        ADMIN, pk, {"date": "2024-03-01", "response": "NON_CR_NON_PD", "lesions": lesions}
    )
    store.update_assessment(ADMIN, visit, {
        "date": "2024-03-01", "response": "PD",
        "lesions": {**lesions, "non_targets": {"NT1": "unequivocal_progression"}},
    }, "read again")  # fmt: skip
    store.update_subject(ADMIN, pk, {"discontinuation_reason": "maximal_benefit"}, reason="stopped")
    dest = tmp_path / "report.pdf"
    flt = AuditFilter(subject="SUBJ-W")
    assert write_pdf(store, flt, dest) > 5
    text = _pdf_text(dest)
    assert "SUBJ-W" in text  # the text was read back at all
    for code in ("ici_chemotherapy", "NON_CR_NON_PD", "non_target", "unequivocal_progression",
                 "maximal_benefit", "discontinuation_reason", "new_lesions", "first_dose"):  # fmt: skip
        assert code not in text, code
    for words in ("Regimen = ICI + chemotherapy", "Kind = non-target", "Overall response: Non-CR/non-PD → PD",
                  "Value: present → unequivocal progression", "Reason for stopping: ∅ → maximal benefit",
                  "First dose = 2024-01-08"):  # fmt: skip
        assert words in text, words
    # a link between records is named as one, not as the subject id people type (MEL-001)
    assert "Subject record = " in text
    assert not re.search(r"Subject id = \d", text)
    assert "Subject id = SUBJ-W" in text
    # the very words the audit screen shows, row by row (short changes are never wrapped mid-word)
    for row in store.audit_rows(flt):
        change = audit_change_text(row)
        if row.field and row.field != "*" and len(change) < 60:
            assert change in text, change


def test_the_pdf_report_shows_any_script_a_reason_was_typed_in(
    store: Store, study_id: int, tmp_path: Path
) -> None:
    """A reason in Greek, Cyrillic or with symbols reads back from the PDF as typed: the report
    embeds a Unicode font (the PDF's standard Helvetica has Latin-1 only)."""
    pk = store.add_subject(ADMIN, study_id, subject_fields("SUBJ-U"))
    reason = "Ошибка в дате; Δ ≥ 5 mm; 検査"
    store.update_subject(ADMIN, pk, {"tumor_type": "renal cell carcinoma"}, reason=reason)
    dest = tmp_path / "report.pdf"
    write_pdf(store, AuditFilter(subject="SUBJ-U"), dest)
    text = _pdf_text(dest)
    for part in ("Ошибка в дате", "Δ ≥ 5 mm"):
        assert part in text, part


def test_flags_read_yes_or_no_and_free_text_stays_as_typed() -> None:
    """'Active = true', 'Must change password = false' read like code on the audit screen."""
    from core.presentation import coded_value_text

    assert coded_value_text("active", "true") == "yes"
    assert coded_value_text("must_change_password", "false") == "no"
    assert coded_value_text("notes", "true") == "true"  # what was typed stays as typed
    assert coded_value_text("reason", "false") == "false"
    assert coded_value_text("failed_attempts", "0") == "0"


def test_a_published_revocation_list_says_how_many_certificates_it_revokes(
    store: Store, coord: Actor
) -> None:
    from core.store.site_keys import publish_crl
    from tests.core.store.conftest import CA_PASSPHRASE

    publish_crl(store, coord, CA_PASSPHRASE)
    rows = [r for r in store.audit_rows(AuditFilter()) if r.action == "crl_published"]
    assert rows[0].new_value == "0 revoked certificates"
