"""The worksheet names the rule-set version and shows codes as human labels (C16)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.store import Store
from core.store.demo import create_demo
from core.store.worksheets import prepare_worksheet

PASSWORD = "label-pass-1"
CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z]+)+\b")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")
def test_worksheet_names_version_2_and_shows_labels(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    create_demo(path, PASSWORD).close()
    with Store.open(path, backup_daily=False) as store:
        study = store.studies()[0].id or 0
        coordinator = store.authenticate("coordinator", PASSWORD)
        rows = store.roster_rows(study, store.today())
        with_caveats = next(r for r in rows if r.result.caveats)
        _, pdf = prepare_worksheet(store, coordinator, with_caveats.subject_pk, store.today())
    f = tmp_path / "w.pdf"
    f.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True, check=True).stdout
    assert "SITC-2020 v2" in text
    assert "Rule set SITC-2020 v2" in text
    for cv in with_caveats.result.caveats:
        assert cv.code.value not in text
    assert not CODE.findall(text), CODE.findall(text)
    assert "min_exposure_days" not in text
    assert "Minimum exposure (days)" in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")
def test_worksheet_i4_reads_less_than_6_weeks_of_exposure(tmp_path: Path) -> None:
    """C16: the I-4 text printed on the worksheet, read back from the PDF."""
    from tests.core.store.conftest import subject_fields

    path = tmp_path / "demo.sqlite3"
    create_demo(path, PASSWORD).close()
    with Store.open(path, backup_daily=False) as store:
        study = store.studies()[0].id or 0
        coordinator = store.authenticate("coordinator", PASSWORD)
        fields = subject_fields("I4-1", last_dose="2024-01-29", discontinuation_reason="toxicity")
        pk = store.add_subject(coordinator, study, fields)
        store.add_assessment(coordinator, pk, {"date": "2024-01-22", "response": "PR"})
        store.add_assessment(coordinator, pk, {"date": "2024-04-17", "response": "PD"})
        as_of = store.today()
        assert "I-4" in store.classify_subject(pk, as_of).interpretations
        _, pdf = prepare_worksheet(store, coordinator, pk, as_of)
    f = tmp_path / "w.pdf"
    f.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True, check=True).stdout
    words = " ".join(text.split())
    assert "not classifiable: less than 6 weeks of exposure" in words
    assert "not classifiable as primary resistance" not in words
