"""Fuzzed roster CSVs through the core reader and ``import-roster`` (issue 15)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given

from core.errors import InputError
from core.store.csvimport import read_roster_csv
from tests.core.fuzz.harness import Harness, by_subject, file_hash, fuzz_settings
from tests.core.fuzz.strategies import roster_csv_bytes

TODAY = dt.date(2026, 11, 30)


@fuzz_settings(quick=150, long=5000)
@given(data=roster_csv_bytes())
def test_the_reader_answers_or_names_the_problem(harness: Harness, data: bytes) -> None:
    f = harness.write("roster.csv", data)
    try:
        courses, rejected = read_roster_csv(f, TODAY)
    except InputError as exc:  # the whole file is refused: say where ("encoding", "line N", ...)
        refused: InputError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.field
        assert refused.message
        return
    for line, field, message in rejected:
        assert line >= 2
        assert field
        assert message
    if not rejected:
        assert courses


@fuzz_settings(quick=25, long=800)
@given(data=roster_csv_bytes())
def test_import_roster_changes_nothing_on_refusal_and_round_trips(harness: Harness, data: bytes) -> None:
    db = harness.fresh_db()
    f = harness.write("roster.csv", data)
    before = file_hash(db)
    r = harness.run("import-roster", "--db", db, "--user", "admin", f)
    r.check_no_crash()
    assert r.code in (0, 2), r.err
    if r.code == 2:
        assert file_hash(db) == before
        assert str(f) in r.err
        return
    out = f.with_name("exported.csv")
    exported = harness.run("export", "--db", db, "--user", "admin", "--format", "csv", "-o", out)
    assert exported.code == 0, exported.err
    stored, rejected = read_roster_csv(out, TODAY)
    assert rejected == []
    given_courses, _ = read_roster_csv(f, TODAY)
    assert by_subject(stored) == by_subject(given_courses)
