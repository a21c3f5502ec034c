"""Fuzzed case files through ``classify``, ``recist`` and ``import`` (issue 15)."""

from __future__ import annotations

import json

from hypothesis import given

from core.casefile import parse_case, parse_document, read_document
from tests.core.fuzz.harness import Harness, by_subject, file_hash, fuzz_settings
from tests.core.fuzz.strategies import case_file_bytes


@fuzz_settings(quick=120, long=5000)
@given(data=case_file_bytes())
def test_classify_and_recist_answer_or_name_the_problem(harness: Harness, data: bytes) -> None:
    f = harness.write("case.json", data)
    for argv in (["classify", "--as-of", "2026-11-30", f], ["recist", f]):
        r = harness.run(*argv)
        r.check_no_crash()
        assert r.code in (0, 2), r.err
        if r.code == 0:
            json.loads(r.out)  # one whole document, nothing half-printed
        else:
            assert str(f) in r.err  # the file is named
            assert r.out == ""


@fuzz_settings(quick=25, long=800)
@given(data=case_file_bytes())
def test_import_changes_nothing_on_refusal_and_round_trips_on_success(harness: Harness, data: bytes) -> None:
    db = harness.fresh_db()
    f = harness.write("case.json", data)
    before = file_hash(db)
    r = harness.run("import", "--db", db, "--user", "admin", f)
    r.check_no_crash()
    assert r.code in (0, 2), r.err
    if r.code == 2:
        assert file_hash(db) == before
        return
    exported = harness.run("export", "--db", db, "--user", "admin")
    assert exported.code == 0, exported.err
    stored = by_subject(parse_case(c) for c in json.loads(exported.out))
    courses, _, errors = parse_document(read_document(f))
    assert not errors
    assert stored == by_subject(courses)
