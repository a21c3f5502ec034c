"""Signed eligibility worksheets: content, rendering, signatures, tampering, rules."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from core.errors import InputError
from core.store import AuthError, Store
from core.store.demo import create_demo
from core.store.site_keys import site_certificate_pem, site_crl_pem
from core.store.worksheets import prepare_worksheet, sign_worksheet, worksheets
from core.worksheet.pdfsign import CASE_ATTACHMENT, verify_pdf
from core.worksheet.pki import create_site_ca
from tests.core.test_cli import EXE

PASSWORD = "sign-pass-phrase-1"
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) not installed")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "demo.sqlite3"
    create_demo(path, PASSWORD).close()
    return path


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "demo.sqlite3"
    shutil.copy(demo, copy)
    return Store.open(copy, backup_daily=False)


def _pk(store: Store, code: str) -> int:
    return store.subject_pk(store.studies()[0].id or 0, code)


def _signed(store: Store, code: str = "MEL-001") -> tuple[int, bytes]:
    inv = store.authenticate("investigator", PASSWORD)
    wid, _ = prepare_worksheet(
        store, store.authenticate("coordinator", PASSWORD), _pk(store, code), store.today()
    )
    return wid, sign_worksheet(store, inv, wid, PASSWORD)


def _text(pdf: bytes, tmp_path: Path) -> str:
    f = tmp_path / "w.pdf"
    f.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
def test_signed_worksheet_text_has_the_evidence(store: Store, tmp_path: Path) -> None:
    _, pdf = _signed(store, "MEL-001")
    text = _text(pdf, tmp_path)
    case = store.case(_pk(store, "MEL-001"))
    for needle in ("Primary resistance", "SITC-2020 Table 1 primary", "MEL-001", "Dr. Ines Investigator",
                   "I have reviewed the evidence and confirm this classification.", "UTC", "Rationale",
                   "Rule set SITC-2020", "Page 1 of", "DEMO-PD1-R"):  # fmt: skip
        assert needle in text, needle
    for visit in case["assessments"]:
        assert visit["date"] in text
    assert "DRAFT" not in text.replace("DRAFT — not", "")


@needs_poppler
def test_draft_says_draft_on_every_page_and_renders(store: Store, tmp_path: Path) -> None:
    _, pdf = prepare_worksheet(
        store, store.authenticate("coordinator", PASSWORD), _pk(store, "NSCLC-028"), store.today()
    )
    f = tmp_path / "draft.pdf"
    f.write_bytes(pdf)
    pages = subprocess.run(["pdfinfo", str(f)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    for page in range(1, count + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(f), "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
        assert "DRAFT" in text
        assert f"Page {page} of {count}" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(f), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page*.png"))) == count
    assert "Lesion measurements" in _text(pdf, tmp_path)  # NSCLC-028 is measured


def test_signature_verifies_against_the_site_certificate(store: Store) -> None:
    _, pdf = _signed(store)
    report = verify_pdf(pdf, site_certificate_pem(store), crl_pem=site_crl_pem(store))
    assert report.ok, report.describe()
    assert report.signer == "Dr. Ines Investigator"
    assert report.category == "primary_resistance"
    assert report.signing_time is not None


def test_another_sites_certificate_is_not_trusted(store: Store) -> None:
    _, pdf = _signed(store)
    other = create_site_ca(
        "Another site", "P-9", "another-passphrase", dt.datetime.now(dt.UTC)
    ).certificate_pem
    report = verify_pdf(pdf, other)
    assert not report.ok
    assert [c.name for c in report.checks if not c.ok] == ["chain to the site CA"]


def test_one_changed_byte_in_the_signed_range_is_reported(store: Store) -> None:
    _, pdf = _signed(store)
    tampered = bytearray(pdf)
    at = pdf.find(b"/Author")
    tampered[at + 10] ^= 0x01
    report = verify_pdf(bytes(tampered), site_certificate_pem(store))
    assert not report.ok
    assert "integrity" in [c.name for c in report.checks if not c.ok]


def _append_update(pdf: bytes, name: str, data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    obj = embed.EmbeddedFileObject.from_file_data(writer, data=data, mime_type="application/json")
    embed.embed_file(writer, embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=obj))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_unsigned_incremental_update_is_reported(store: Store) -> None:
    _, pdf = _signed(store)
    updated = _append_update(pdf, "note.txt", b"added after signing")
    report = verify_pdf(updated, site_certificate_pem(store))
    assert not report.ok
    assert "changes after signing" in [c.name for c in report.checks if not c.ok]


def test_a_swapped_case_file_is_reported(store: Store) -> None:
    _, pdf = _signed(store)
    case = store.case(_pk(store, "MEL-001"))
    case["assessments"] = case["assessments"][:1]  # a forged, milder history
    swapped = _append_update(pdf, CASE_ATTACHMENT, json.dumps(case).encode())
    report = verify_pdf(swapped, site_certificate_pem(store))
    failed = {c.name for c in report.checks if not c.ok}
    assert not report.ok
    assert {"changes after signing", "evidence"} <= failed


def test_reclassifying_the_embedded_case_reproduces_the_result(store: Store) -> None:
    for code in ("MEL-012", "RCC-023", "NSCLC-028", "MEL-005"):
        _, pdf = _signed(store, code)
        check = next(
            c for c in verify_pdf(pdf, site_certificate_pem(store)).checks if c.name == "re-classification"
        )
        assert check.ok, (code, check.detail)


def test_wrong_password_does_not_sign_and_is_audited(store: Store) -> None:
    inv = store.authenticate("investigator", PASSWORD)
    wid, _ = prepare_worksheet(store, inv, _pk(store, "MEL-001"), store.today())
    with pytest.raises(AuthError, match="wrong password"):
        sign_worksheet(store, inv, wid, "not-the-password")
    assert store.audit_events(limit=1)[0].action == "sign_failed"
    assert worksheets(store, _pk(store, "MEL-001"))[0].status == "draft"


def test_a_coordinator_cannot_sign(store: Store) -> None:
    coord = store.authenticate("coordinator", PASSWORD)
    wid, _ = prepare_worksheet(store, coord, _pk(store, "MEL-001"), store.today())
    with pytest.raises(AuthError, match="only an investigator"):
        sign_worksheet(store, coord, wid, PASSWORD)


def test_changed_data_must_be_prepared_again(store: Store) -> None:
    inv = store.authenticate("investigator", PASSWORD)
    pk = _pk(store, "MEL-001")
    wid, _ = prepare_worksheet(store, inv, pk, store.today())
    visit = store.subject_rows(pk).assessments[0]
    store.update_assessment(
        inv, visit.id or 0, {"date": visit.date.isoformat(), "response": "PR"}, reason="re-read"
    )
    assert worksheets(store, pk)[0].superseded
    with pytest.raises(InputError, match="prepare it again"):
        sign_worksheet(store, inv, wid, PASSWORD)
    wid2, _ = prepare_worksheet(store, inv, pk, store.today())
    sign_worksheet(store, inv, wid2, PASSWORD)
    rows = worksheets(store, pk)
    assert [(r.status, r.superseded) for r in rows] == [("signed", False), ("draft", True)]
    with pytest.raises(InputError, match="already signed"):
        sign_worksheet(store, inv, wid2, PASSWORD)


def test_password_change_keeps_the_signing_key(store: Store) -> None:
    inv = store.authenticate("investigator", PASSWORD)
    store.change_password(inv, PASSWORD, "new-sign-pass-phrase")
    wid, _ = prepare_worksheet(store, inv, _pk(store, "MEL-001"), store.today())
    pdf = sign_worksheet(store, inv, wid, "new-sign-pass-phrase")
    assert verify_pdf(pdf, site_certificate_pem(store), crl_pem=site_crl_pem(store)).ok


def test_signing_is_audited_and_keys_never_reach_the_audit_trail(store: Store) -> None:
    _signed(store)
    actions = [e.action for e in store.audit_events(limit=6)]
    assert "sign" in actions
    for e in store.audit_events():
        for value in (e.old_value or "", e.new_value or ""):
            assert "PRIVATE KEY" not in value
            assert "%PDF" not in value


def test_cli_worksheet_site_cert_verify(store: Store, tmp_path: Path) -> None:
    db = str(store.path)
    draft, signed, pem = tmp_path / "d.pdf", tmp_path / "s.pdf", tmp_path / "site.pem"

    def run(*args: object, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXE, *map(str, args)], input=stdin, capture_output=True, text=True, check=False
        )

    assert (
        run("worksheet", "--db", db, "--subject", "MEL-001", "-o", draft).returncode == 2
    )  # who prepares it?
    r = run(
        "worksheet",
        "--db",
        db,
        "--subject",
        "MEL-001",
        "-o",
        draft,
        "--user",
        "coordinator",
        stdin=PASSWORD + "\n",
    )
    assert r.returncode == 0, r.stderr
    r = run(
        "worksheet",
        "--db",
        db,
        "--subject",
        "MEL-001",
        "-o",
        signed,
        "--sign-as",
        "investigator",
        stdin=PASSWORD + "\n",
    )
    assert r.returncode == 0, r.stderr
    assert run("site-cert", "--db", db, "-o", pem).returncode == 0
    alone = run("verify", signed, "--trust", pem)  # only the CRL the signer embedded: not enough
    assert alone.returncode == 1, alone.stdout
    assert "--crl" in alone.stdout
    crl = tmp_path / "site-crl.pem"
    assert run("ca", "crl", "--db", db, "-o", crl).returncode == 0
    ok = run("verify", signed, "--trust", pem, "--crl", crl)
    assert ok.returncode == 0, ok.stdout
    assert "VERIFIED" in ok.stdout
    assert "Dr. Ines Investigator" in ok.stdout
    not_signed = run("verify", draft, "--db", db)
    assert not_signed.returncode == 1
    assert "not signed" in not_signed.stdout
    coordinator = run("worksheet", "--db", db, "--subject", "MEL-001", "-o", tmp_path / "x.pdf", "--sign-as", "coordinator",
                      stdin=PASSWORD + "\n")  # fmt: skip
    assert coordinator.returncode == 1
    assert "only an investigator" in coordinator.stderr


@needs_poppler
def test_signed_worksheet_names_the_signer_role_in_words(store: Store, tmp_path: Path) -> None:
    _, pdf = _signed(store, "MEL-029")
    text = " ".join(_text(pdf, tmp_path).split())
    assert "investigator (Investigator)" in text  # the signature block: user id, then the role
    assert "(investigator)" not in text  # the role's code, as stored, nowhere
    assert "Investigator, user id investigator" in text  # the visible stamp


def test_a_lesion_table_continued_below_itself_repeats_its_titles_as_a_header(store: Store) -> None:
    """MEL-029 has more measured visits than fit across a page: the sizes table goes on below
    itself, and the titles of the second part (lesion, organ, baseline, dates) look like the
    first part's header, not like one more lesion."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph

    from core.casefile import parse_stored_case
    from core.worksheet.document import BOLD, _lesion_table

    course = parse_stored_case(store.case(_pk(store, "MEL-029")))
    table = _lesion_table(course, 180 * mm)
    rows = table._cellvalues  # type: ignore[attr-defined]
    titles = [k for k, row in enumerate(rows) if isinstance(row[0], Paragraph) and row[0].text == "Lesion"]
    assert len(titles) >= 2, "MEL-029's sizes no longer need a second part"
    shaded = {cmd[1][1] for cmd in table._bkgrndcmds if cmd[0] == "BACKGROUND"}  # type: ignore[attr-defined]
    for k in titles:
        assert k in shaded, k
        assert all(
            cell.style.fontName == BOLD for cell in rows[k] if isinstance(cell, Paragraph) and cell.text
        )
    assert not shaded - set(titles)  # lesions are not shaded


def test_verify_names_the_signer_user_id_and_role_in_words(store: Store) -> None:
    _, pdf = _signed(store)
    report = verify_pdf(pdf, site_certificate_pem(store), crl_pem=site_crl_pem(store))
    assert "Signed by Dr. Ines Investigator (user id investigator, role Investigator)" in report.describe()


def test_times_are_not_said_twice_on_a_utc_workstation(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from core.worksheet.document import when_text

    moment = dt.datetime(2026, 12, 1, 16, 37, 15, tzinfo=dt.UTC)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert when_text(moment).replace("\u00a0", " ") == "2026-12-01 16:37:15 UTC"
        monkeypatch.setenv("TZ", "CET-1")  # POSIX rule: one hour east, no tz database needed
        time.tzset()
        assert when_text(moment).replace("\u00a0", " ") == "2026-12-01 16:37:15 UTC (2026-12-01 17:37:15 CET)"
    finally:
        monkeypatch.undo()
        time.tzset()
