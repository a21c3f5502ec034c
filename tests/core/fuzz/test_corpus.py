"""The hand-made inputs of issue 15, each through the command line against a real study file:
refused with the file, case or line and the field named, the database byte-identical; or
accepted, and then exported unchanged."""

from __future__ import annotations

import codecs
import contextlib
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.casefile import parse_case, parse_document, read_document
from core.store.csvimport import read_roster_csv
from tests.core.fuzz.harness import PASSWORD, Harness, by_subject, file_hash
from tests.core.test_cli import EXE


def case(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "format": "resistdesk-case/1",
        "subject_id": "CORPUS-1",
        "tumor_type": "melanoma",
        "setting": "advanced",
        "regimen": "monotherapy",
        "agent": "pembrolizumab",
        "first_dose": "2024-01-08",
        "assessments": [{"date": "2024-02-26", "response": "SD"}, {"date": "2024-04-22", "response": "PD"}],
    }
    obj.update(changes)
    return obj


def text(obj: Any) -> bytes:
    return json.dumps(obj).encode()


LESIONS = case(
    baseline={"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "mm": 25}], "non_targets": []},
    assessments=[{"date": "2024-02-26", "lesions": {"targets": {"T1": 10**100}, "non_targets": {}}}],
)

CASE_CORPUS: list[tuple[str, bytes, list[str]]] = [
    ("deep-json", b"[" * 1000 + b"]" * 1000, ["nested more than 20 deep"]),
    ("deep-object", b'{"a":' * 1000 + b"1" + b"}" * 1000, ["nested more than 20 deep"]),
    ("huge-int", text(case()).replace(b'"first_dose"', b'"indolent": ' + b"7" * 5000 + b', "first_dose"'),
     ["field 'indolent'", "a number of 5000 characters"]),
    ("int-2^63", text(case(assessments=[{"date": "2024-02-26", "response": "PD", "progressing_sites": 2**63}])),
     ["assessments[0].progressing_sites", "0 to 100"]),
    ("ecog-2^63", text(case(assessments=[{"date": "2024-02-26", "response": "PD", "ecog": 2**63}])),
     ["assessments[0].ecog", "0 to 5"]),
    ("surrogate-id", text(case(subject_id="\ud800")), ["field 'subject_id'", "lone surrogate"]),
    ("surrogate-lesion-id", text(case(baseline={"date": "2024-01-02", "targets": [{"id": "T\udc80", "organ": "liver", "mm": 25}]})),
     ["baseline.targets[0].id", "lone surrogate"]),
    ("date-9999", text(case(first_dose="9999-12-31")), ["field 'first_dose'", "1900-01-01 to 2100-12-31"]),
    ("date-0001", text(case(last_dose="0001-01-01")), ["field 'last_dose'", "1900-01-01 to 2100-12-31"]),
    ("visit-9999", text(case(assessments=[{"date": "9999-12-31", "response": "PD"}])), ["assessments[0].date", "2100-12-31"]),
    ("duplicate-key", text(case()).replace(b'"response": "PD"', b'"response": "PD", "response": "CR"'),
     ["case (CORPUS-1)", "assessments[1].response", "twice"]),
    ("duplicate-top", text(case()).replace(b'"tumor_type": "melanoma"', b'"tumor_type": "melanoma", "tumor_type": "glioblastoma"'),
     ["field 'tumor_type'", "twice"]),
    ("lesion-10^100", text(LESIONS), ["assessments[0].lesions.targets.T1", "at most 1000 mm"]),
    ("formula-agent", text(case(agent="=cmd|' /C calc'!A0")), ["field 'agent'", "formula"]),
    ("formula-tumor", text(case(tumor_type="@SUM(1+1)*cmd|' /C calc'!A0")), ["field 'tumor_type'", "formula"]),
    ("control-char", text(case(subject_id="S\x1b[2J")), ["field 'subject_id'", "control character"]),
    ("unknown-field", text(case(tumour_type="melanoma")), ["field 'tumour_type'", "unknown field"]),
    ("nan-literal", text(case()).replace(b'"first_dose"', b'"indolent": NaN, "first_dose"'), ["NaN"]),
    ("cp1252-json", json.dumps(case(tumor_type="mélanome"), ensure_ascii=False).encode("cp1252"), ["not UTF-8"]),
    ("array-with-bad-case", text([case(), case(subject_id="CORPUS-2", first_dose="2024-13-01")]),
     ["case 2 (CORPUS-2)", "field 'first_dose'"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "fragments"), CASE_CORPUS, ids=[c[0] for c in CASE_CORPUS])
def test_case_file_corpus_is_refused_by_name(
    harness: Harness, name: str, data: bytes, fragments: list[str]
) -> None:
    f = harness.write(f"{name}.json", data)
    db = harness.fresh_db()
    before = file_hash(db)
    for argv in (
        ["classify", "--as-of", "2026-11-30", f],
        ["recist", f],
        ["import", "--db", db, "--user", "admin", f],
    ):
        r = harness.run(*argv)
        r.check_no_crash()
        assert r.code == 2, (argv[0], r.err)
        assert str(f) in r.err
        for fragment in fragments:
            assert fragment in r.err, (argv[0], r.err)
        assert r.out == ""
    assert file_hash(db) == before


HEADER = "subject_id,tumor_type,setting,regimen,agent,first_dose"
ROW = "R-1,{tumor},advanced,monotherapy,nivolumab,{first}"


def roster(tumor: str = "melanoma", first: str = "2024-01-08", header: str = HEADER) -> str:
    return f"{header}\r\n{ROW.format(tumor=tumor, first=first)}\r\n"


CSV_REFUSED: list[tuple[str, bytes, list[str]]] = [
    ("cp1251", roster("меланома").encode("cp1251"), ["encoding", "Windows-1252"]),
    ("utf16-no-bom", roster().encode("utf-16-le"), ["UTF-16 without a byte-order mark"]),
    ("mixed-utf8-cp1252", roster("mélanome").encode() + "R-2,mélanome,advanced,monotherapy,,2024-01-08\n".encode("cp1252"),
     ["mixes UTF-8"]),
    ("duplicated-column", f"{HEADER},tumor_type\nR-1,melanoma,advanced,monotherapy,,2024-01-08,glioblastoma\n".encode(),
     ["line 1 (header)", "appear twice: tumor_type"]),
    ("unknown-column", f"{HEADER},tumour\nR-1,melanoma,advanced,monotherapy,,2024-01-08,x\n".encode(),
     ["unknown column(s): tumour"]),
    ("quoted-newline", roster('"melanoma\nglioblastoma"').encode(), ["line 2: field 'tumor_type'", "control character"]),
    ("excel-serial", roster(first="45321").encode(), ["line 2: field 'first_dose'", "Excel serial date (2024-01-30?)"]),
    ("year-0001", roster(first="0001-01-01").encode(), ["field 'first_dose'", "1900-01-01"]),
    ("year-9999", roster(first="9999-12-31").encode(), ["field 'first_dose'", "2100-12-31"]),
    ("formula-cmd", roster().replace("R-1", "=cmd|' /C calc'!A0").encode(), ["field 'subject_id'", "formula"]),
    ("formula-plus", roster("+melanoma").encode(), ["field 'tumor_type'", "formula"]),
    ("formula-tab", roster('"\t=1+1"').encode(), ["field 'tumor_type'", "formula"]),
    ("utf32", codecs.BOM_UTF32_LE + roster().encode("utf-32-le"), ["UTF-32"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "fragments"), CSV_REFUSED, ids=[c[0] for c in CSV_REFUSED])
def test_roster_corpus_is_refused_by_name(
    harness: Harness, name: str, data: bytes, fragments: list[str]
) -> None:
    f = harness.write(f"{name}.csv", data)
    db = harness.fresh_db()
    before = file_hash(db)
    r = harness.run("import-roster", "--db", db, "--user", "admin", f)
    r.check_no_crash()
    assert r.code == 2, r.err
    assert str(f) in r.err
    for fragment in fragments:
        assert fragment in r.err, r.err
    assert file_hash(db) == before


CSV_ACCEPTED: list[tuple[str, bytes, str]] = [
    ("cp1252", roster("mélanome").encode("cp1252"), "mélanome"),
    ("utf8-bom-semicolons", codecs.BOM_UTF8 + roster("cáncer; pulmón").replace(",", ";").replace("cáncer; pulmón", '"cáncer; pulmón"').encode(),
     "cáncer; pulmón"),
    ("utf16-bom", codecs.BOM_UTF16_LE + roster("Merkel-Zell-Karzinom ß").encode("utf-16-le"), "Merkel-Zell-Karzinom ß"),
    ("utf16-be-bom", codecs.BOM_UTF16_BE + roster("日本語").encode("utf-16-be"), "日本語"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "tumor"), CSV_ACCEPTED, ids=[c[0] for c in CSV_ACCEPTED])
def test_roster_corpus_is_read_exactly_and_exports_unchanged(
    harness: Harness, name: str, data: bytes, tumor: str
) -> None:
    f = harness.write(f"{name}.csv", data)
    db = harness.fresh_db()
    r = harness.run("import-roster", "--db", db, "--user", "admin", f)
    assert r.code == 0, r.err
    exported = harness.run("export", "--db", db, "--user", "admin")
    assert json.loads(exported.out)[0]["tumor_type"] == tumor
    out = f.with_name("out.csv")
    assert harness.run("export", "--db", db, "--user", "admin", "--format", "csv", "-o", out).code == 0
    today = read_roster_csv  # the same reader, both ways
    assert by_subject(today(out, _TODAY)[0]) == by_subject(today(f, _TODAY)[0])


_TODAY = __import__("datetime").date(2026, 11, 30)


def test_case_file_with_lesions_round_trips(harness: Harness) -> None:
    obj = case(
        baseline={"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "mm": 25.5}],
                  "non_targets": [{"id": "NT1", "organ": "bone"}]},
        assessments=[{"date": "2024-02-26", "lesions": {"targets": {"T1": 12.5}, "non_targets": {"NT1": "present"}},
                      "notes": ["- smaller", "\tsecond line"]}],
    )  # fmt: skip
    f = harness.write("lesions.json", text(obj))
    db = harness.fresh_db()
    assert harness.run("import", "--db", db, "--user", "admin", f).code == 0
    exported = harness.run("export", "--db", db, "--user", "admin")
    stored = by_subject(parse_case(c) for c in json.loads(exported.out))
    assert stored == by_subject(parse_document(read_document(f))[0])


def test_formulas_stored_before_these_checks_are_neutralised_on_export(harness: Harness) -> None:
    db = harness.fresh_db()
    f = harness.write("plain.csv", roster().encode())
    assert harness.run("import-roster", "--db", db, "--user", "admin", f).code == 0
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # data from an older version
        conn.execute("UPDATE subject SET subject_code = '=cmd|'' /C calc''!A0', tumor_type = '@SUM(A1)'")
    out = f.with_name("out.csv")
    assert harness.run("export", "--db", db, "--user", "admin", "--format", "csv", "-o", out).code == 0
    row = out.read_text(encoding="utf-8-sig").splitlines()[1]
    assert row.startswith("'=cmd|' /C calc'!A0,'@SUM(A1),")


# A few through the installed program, as a user runs it.


def _exe(*argv: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *map(str, argv)], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_installed_program_deep_json_and_huge_int(harness: Harness) -> None:
    for name, data, fragments in (CASE_CORPUS[0], CASE_CORPUS[2]):
        f = harness.write(f"{name}.json", data)
        r = _exe("classify", f)
        assert r.returncode == 2
        assert "Traceback" not in r.stderr
        for fragment in fragments:
            assert fragment in r.stderr


def test_installed_program_roster_encodings(harness: Harness) -> None:
    db = harness.fresh_db()
    refused = harness.write("utf16.csv", roster().encode("utf-16-le"))
    before = file_hash(db)
    r = _exe("import-roster", "--db", db, "--user", "admin", refused, stdin=f"{PASSWORD}\n")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "UTF-16" in r.stderr
    assert file_hash(db) == before
    accepted = harness.write("cp1252.csv", roster("mélanome").encode("cp1252"))
    r = _exe("import-roster", "--db", db, "--user", "admin", accepted, stdin=f"{PASSWORD}\n")
    assert r.returncode == 0, r.stderr
