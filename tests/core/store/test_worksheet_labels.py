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
