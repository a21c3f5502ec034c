"""The roster's result cache between starts (core.store.result_cache): a start reuses the rows
of unchanged subjects, and nothing (a changed subject, a changed or forged cache file, other
rules, another date, other code, another workstation) can make the roster show a row that a
fresh classification would not."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import pickle
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from core.roster import RosterRow, roster_row
from core.rules import Category, classify
from core.store import Store, result_cache
from core.store import engine as engine_module
from core.store import reading as reading_module
from core.store.checkpoint import KEY_FILE
from tests.bench.generator import bulk_load, synthetic_cases

AS_OF = dt.date(2026, 11, 24)
SUBJECTS = 120


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "site.sqlite3"
    bulk_load(path, synthetic_cases(SUBJECTS, 6, seed=11))
    return path


@pytest.fixture
def classified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The subject ids the store classifies (instead of taking a cached row)."""
    calls: list[str] = []

    def counting(course, as_of, ruleset):  # type: ignore[no-untyped-def]
        calls.append(course.subject_id)
        return classify(course, as_of, ruleset)

    monkeypatch.setattr(reading_module, "classify", counting)
    return calls


def start(db: Path, as_of: dt.date = AS_OF) -> list[RosterRow]:
    """One start of the application: open, read the roster, close (which writes the cache)."""
    with Store.open(db, backup_daily=False) as store:
        return store.roster_rows(store.studies()[0].id or 0, as_of)


def fresh(db: Path, as_of: dt.date = AS_OF) -> list[RosterRow]:
    """The rows a classification of every subject gives, with no cache anywhere."""
    with Store.open(db, backup_daily=False) as store:
        study = store.studies()[0]
        rules = store.rules(study)
        rows = [
            roster_row(pk, status, course, classify(course, as_of, rules))
            for pk, status, course in store.read_courses(study.id or 0)
        ]
    return rows


def cache_files(state: Path) -> list[Path]:
    return sorted((state / result_cache.CACHE_DIR).glob("*.bin"))


def test_a_second_start_shows_the_same_rows_without_classifying(
    db: Path, classified: list[str], workstation_state: Path
) -> None:
    first = start(db)
    assert len(classified) == SUBJECTS
    assert cache_files(workstation_state)
    classified.clear()
    second = start(db)
    assert classified == []  # every row from the cache
    assert second == first == fresh(db)
    assert [r.category for r in second] == [r.category for r in fresh(db)]


def test_a_subject_changed_in_the_file_is_classified_again(db: Path, classified: list[str]) -> None:
    before = {r.subject_id: r for r in start(db)}
    # A visit changed behind the application's back (another program, a restored copy...):
    # no audit row, no revision; only its content differs.
    with contextlib.closing(sqlite3.connect(db)) as conn:
        sid, code = conn.execute(
            "SELECT s.id, s.subject_code FROM subject s JOIN assessment a ON a.subject_id = s.id "
            "WHERE a.response = 'PD' ORDER BY s.subject_code LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE assessment SET response = 'CR' WHERE subject_id = ?", (sid,))
        conn.execute("UPDATE subject SET status = 'withdrawn' WHERE subject_code = ?", ("S00001",))
        conn.commit()
    classified.clear()
    after = {r.subject_id: r for r in start(db)}
    assert sorted(classified) == sorted({code, "S00001"})  # only what changed
    assert after[code] != before[code]
    assert after["S00001"].status == "withdrawn"
    assert list(after.values()) == fresh(db)


def _edit(db: Path, sql: str, *params: object) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(sql, params)


def _first_visit(db: Path) -> tuple[int, str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        vid, code = conn.execute(
            "SELECT a.id, s.subject_code FROM assessment a JOIN subject s ON s.id = a.subject_id "
            "ORDER BY s.subject_code, a.date LIMIT 1"
        ).fetchone()
    return vid, code


@pytest.mark.parametrize(
    ("column", "before", "after"),
    [
        # JSON prints a REAL to 15 digits: these two would be one text (the subject is keyed on values)
        ("ecog", 1.0000000000000002, 1.0000000000000004),
        ("progressing_sites", 2.5, 2.5000000000000004),
        ("biopsy_confirms_progression", None, 0),  # NULL is not 0
        ("ecog", 1, 2),
        ("notes", 1, "1.0"),  # a number's text is not another's
        ("notes", 'a","b', 'a\\","b'),  # text with the separators of the text the database makes
        ("notes", "x", "x\u0000"),  # an invisible character
        ("response", "SD", "PR"),
    ],
)
def test_a_visit_changed_by_plain_sql_is_classified_again_whatever_the_value(
    db: Path, classified: list[str], column: str, before: object, after: object
) -> None:
    """The roster reads the keys of cached subjects from a text the database makes of their
    visits (core.store.engine.visit_texts): every stored difference must make another key."""
    vid, code = _first_visit(db)
    _edit(db, f"UPDATE assessment SET {column} = ? WHERE id = ?", before, vid)
    start(db)
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == []
    _edit(db, f"UPDATE assessment SET {column} = ? WHERE id = ?", after, vid)
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == [code]


def test_visits_swapped_between_dates_or_moved_to_another_subject_are_classified_again(
    db: Path, classified: list[str]
) -> None:
    start(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        visits = conn.execute(
            "SELECT s.subject_code, a.subject_id, a.id, a.response FROM assessment a "
            "JOIN subject s ON s.id = a.subject_id ORDER BY s.subject_code, a.date"
        ).fetchall()
        # a subject with two visits of different responses: the same values, on each other's dates
        code, sid, first, response, second, other = next(
            (*v, *w[2:])
            for v in visits
            for w in visits
            if v[1] == w[1] and None is not v[3] != w[3] is not None
        )
        conn.execute("UPDATE assessment SET response = ? WHERE id = ?", (other, first))
        conn.execute("UPDATE assessment SET response = ? WHERE id = ?", (response, second))
        # and another subject's last visit given to it
        other_code, _sid, last, _r = [v for v in visits if v[1] != sid][-1]
        conn.execute("UPDATE assessment SET subject_id = ? WHERE id = ?", (sid, last))
    classified.clear()
    assert start(db) == fresh(db)
    assert sorted(classified) == sorted([code, other_code])


def test_a_value_the_database_cannot_put_in_text_still_gives_the_truth(
    db: Path, classified: list[str]
) -> None:
    """A BLOB written into a visit by another program: the keys are taken from the values."""
    start(db)
    vid, code = _first_visit(db)
    _edit(db, "UPDATE assessment SET notes = ? WHERE id = ?", b"\x00\xff", vid)
    classified.clear()
    with Store.open(db, backup_daily=False) as store:
        study = store.studies()[0].id or 0
        assert store.roster_rows(study, AS_OF) == fresh(db)
    assert code in classified


def test_a_changed_or_forged_cache_file_is_not_used(
    db: Path, classified: list[str], workstation_state: Path
) -> None:
    truth = start(db)
    [path] = cache_files(workstation_state)
    data = path.read_bytes()
    head = len(result_cache.MAGIC) + 32
    header, rows = pickle.loads(data[head:])
    # Forged: every subject shown as primary resistance, under the old tag.
    key = next(iter(rows))
    forged_rows = {k: dataclasses.replace(v, status="forged") for k, v in rows.items()}
    forged_rows[key] = dataclasses.replace(
        rows[key], result=dataclasses.replace(rows[key].result, category=Category.PRIMARY_RESISTANCE)
    )
    path.write_bytes(data[:head] + pickle.dumps((header, forged_rows), protocol=5))
    classified.clear()
    assert start(db) == truth
    assert len(classified) == SUBJECTS
    # One flipped bit anywhere: the same.
    data = path.read_bytes()
    for at in (len(result_cache.MAGIC) + 3, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
        classified.clear()
        assert start(db) == truth
        assert len(classified) == SUBJECTS
        path.write_bytes(data)


def test_another_workstations_cache_is_not_used(
    db: Path, classified: list[str], workstation_state: Path
) -> None:
    truth = start(db)
    (workstation_state / KEY_FILE).write_bytes(b"\x01" * 32)  # this workstation, another key
    classified.clear()
    assert start(db) == truth
    assert len(classified) == SUBJECTS


def test_the_cache_follows_the_date_the_rules_and_the_code(
    db: Path, classified: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    start(db)
    later = AS_OF + dt.timedelta(days=1)
    classified.clear()
    assert start(db, later) == fresh(db, later)
    assert len(classified) == SUBJECTS  # another as-of date: every subject again
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE study SET rule_overrides = ?", ('{"benefit_days": 300}',))
        conn.commit()
    classified.clear()
    rows = start(db, later)
    assert len(classified) == SUBJECTS
    assert {
        r.result.ruleset.overrides.get("benefit_days") for r in rows if r.result.ruleset.name == "SITC-2020"
    } == {300}
    assert rows == fresh(db, later)
    classified.clear()
    start(db, later)
    assert classified == []
    monkeypatch.setattr(result_cache, "code_identity", lambda: "another version of the rules")
    classified.clear()
    start(db, later)
    assert len(classified) == SUBJECTS


def test_no_cache_when_the_workstation_keeps_no_state(db: Path, classified: list[str]) -> None:
    for _ in range(2):
        classified.clear()
        with Store.open(db, backup_daily=False) as store:
            store.anchor_book = None  # no state folder: nothing is kept, everything classified
            rows = store.roster_rows(store.studies()[0].id or 0, AS_OF)
        assert len(classified) == SUBJECTS
        assert rows == fresh(db)


def test_forget_results_classifies_everything_again(db: Path, classified: list[str]) -> None:
    start(db)
    with Store.open(db, backup_daily=False) as store:
        study = store.studies()[0].id or 0
        store.forget_results()
        classified.clear()
        store.roster_rows(study, AS_OF)
        assert len(classified) == SUBJECTS


def test_frozen_values_pickle_to_equal_values(db: Path) -> None:
    rows = fresh(db)
    again = pickle.loads(pickle.dumps(rows, protocol=5))
    assert again == rows
    assert [hash(r.result) for r in again] == [hash(r.result) for r in rows]
    with pytest.raises(dataclasses.FrozenInstanceError):
        again[0].result.category = Category.PRIMARY_RESISTANCE  # type: ignore[misc]


def test_the_content_key_depends_on_values_only() -> None:
    a = (1, "S00001", "melanoma", None, 0.5)
    visits = [(1, "2026-01-05", "PD", 0, None)]

    def copy(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple("".join(x) if isinstance(x, str) else x for x in row)  # new str objects

    copies = (copy(a), [copy(visits[0])])
    assert copies[0][1] is not a[1]
    assert result_cache.digest(a, visits) == result_cache.digest(*copies)  # other objects, same values
    assert result_cache.digest(a, visits) == result_cache.digest(a, tuple(visits))
    for other in [
        ((1, "S00001", "melanoma", 0, 0.5), visits),  # None is not 0
        ((1, "S00001", "melanoma", None, "0.5"), visits),  # a number is not its text
        (a, [(1, "2026-01-05", "PR", 0, None)]),
        (a, visits * 2),
        (a, []),
        ((1, "S0000", "1melanoma", None, 0.5), visits),  # no shifting of text between fields
    ]:
        assert result_cache.digest(*other) != result_cache.digest(a, visits), other
    assert result_cache.digest(a, [(1, dt.date(2026, 1, 5))]) != result_cache.digest(a, [(1, "2026-01-05")])


def test_a_day_prepared_ahead_is_not_classified_again_unless_it_changed(
    db: Path, classified: list[str], workstation_state: Path
) -> None:
    today = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=dt.UTC)
    tomorrow = AS_OF + dt.timedelta(days=1)
    start(db)
    with Store.open(db, backup_daily=False, clock=lambda: today) as store:
        assert store.today() == AS_OF
        store.prepare_next_day(store.studies()[0].id or 0)
    assert len(cache_files(workstation_state)) == 2  # today's (a start later today) and tomorrow's
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == []
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE subject SET status = 'withdrawn' WHERE subject_code = 'S00003'")
    classified.clear()
    rows = start(db, tomorrow)
    assert classified == ["S00003"]  # only what changed since it was prepared
    assert rows == fresh(db, tomorrow)
    assert all(r.result.as_of == tomorrow for r in rows)
    start(db, tomorrow + dt.timedelta(days=3))
    assert len(cache_files(workstation_state)) == 1  # older dates are dropped


def test_a_cache_prepared_but_not_used_is_kept_as_it_was(db: Path, classified: list[str]) -> None:
    """The desktop loads the cache while the user types, for the study it expects; if the
    session ends before that roster is read (another study chosen, the sign-in cancelled),
    closing must not write the cache back empty."""
    start(db)
    with Store.open(db, backup_daily=False) as store:
        store.prepare_roster(store.studies()[0].id or 0, AS_OF)
    classified.clear()
    start(db)
    assert classified == []


# SQLite 3.45 and later put a BLOB that reads as JSONB (their binary JSON) into json_array() as the
# value it encodes, where 3.40 raises an error: a BLOB would make the same text as a NULL, a 0 or
# an empty text, yet Python reads it as bytes (which are true, and a note). Without the BLOB check
# these fail on SQLite 3.45 or later (checked on 3.51 with pysqlite3-binary in place of sqlite3).
@pytest.mark.parametrize(
    ("column", "before", "after"),
    [
        ("biopsy_confirms_progression", None, b"\x00"),  # JSONB null
        ("clinical_progression", 0, b"\x13\x30"),  # JSONB 0
        ("notes", "", b"\x07"),  # JSONB ""
    ],
)
def test_a_blob_that_reads_as_json_is_not_taken_for_the_value_it_encodes(
    db: Path, classified: list[str], column: str, before: object, after: bytes
) -> None:
    vid, code = _first_visit(db)
    _edit(db, f"UPDATE assessment SET {column} = ? WHERE id = ?", before, vid)
    start(db)
    _edit(db, f"UPDATE assessment SET {column} = ? WHERE id = ?", after, vid)
    classified.clear()
    assert start(db) == fresh(db)
    assert code in classified  # (3.40 keys every subject on its values: its query fails)


def _rebuild(db: Path, edit: Callable[[str, sqlite3.Connection], str]) -> None:
    """Another program rebuilds the visit table from its SQL as ``edit`` changes it (plain SQL: a
    new table, the rows copied, the old one dropped)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.isolation_level = None
        conn.execute("PRAGMA foreign_keys = OFF")
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'assessment'").fetchone()
        sql = edit(sql, conn)
        conn.execute("BEGIN")
        conn.execute(sql.replace("CREATE TABLE assessment", "CREATE TABLE assessment_new", 1))
        conn.execute("INSERT INTO assessment_new SELECT * FROM assessment")
        conn.execute("DROP TABLE assessment")
        conn.execute("ALTER TABLE assessment_new RENAME TO assessment")
        conn.execute("CREATE INDEX ix_assessment_subject_id ON assessment (subject_id)")
        conn.execute("COMMIT")


def _retype(db: Path, column: str, declared: str) -> None:
    """The visit table rebuilt with ``column`` declared ``declared``."""

    def edit(sql: str, conn: sqlite3.Connection) -> str:
        [old] = [t for _, name, t, *_ in conn.execute("PRAGMA table_info(assessment)") if name == column]
        assert sql.count(f"\t{column} {old} ") == 1
        return sql.replace(f"\t{column} {old} ", f"\t{column} {declared} ")

    _rebuild(db, edit)


def test_a_real_in_a_text_column_of_a_rebuilt_table_is_told_apart(db: Path, classified: list[str]) -> None:
    """A note declared without a type holds a REAL: two that differ in the 16th digit are different
    input (the classifier is given the number), so they must have different keys."""
    _retype(db, "notes", "")
    vid, code = _first_visit(db)
    _edit(db, "UPDATE assessment SET notes = ? WHERE id = ?", 0.1, vid)
    start(db)
    _edit(db, "UPDATE assessment SET notes = ? WHERE id = ?", 0.1 + 2**-56, vid)
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == [code]


def test_real_visit_ids_of_a_rebuilt_table_that_swap_two_visits_of_one_day(
    db: Path, classified: list[str]
) -> None:
    """Visit ids declared REAL: two visits on one date are put in id order, and ids that differ
    in the 16th digit swapped between them change that order."""
    _retype(db, "id", "REAL")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        code, first, second = next(
            (code, v, w)
            for code, v, w, rv, rw in conn.execute(
                "SELECT s.subject_code, a.id, b.id, a.response, b.response FROM assessment a "
                "JOIN assessment b ON b.subject_id = a.subject_id AND b.date > a.date "
                "JOIN subject s ON s.id = a.subject_id ORDER BY s.subject_code, b.date DESC"
            )
            if rv != rw and rv is not None and rw is not None
        )
        low, high = 1e6 + 2**-33, 1e6 + 2**-32  # one text to 15 digits
        date = conn.execute("SELECT date FROM assessment WHERE id = ?", (first,)).fetchone()[0]
        conn.execute("UPDATE assessment SET id = ?, date = ? WHERE id = ?", (low, date, first))
        conn.execute("UPDATE assessment SET id = ?, date = ? WHERE id = ?", (high, date, second))
    start(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE assessment SET id = -1 WHERE id = ?", (low,))
        conn.execute("UPDATE assessment SET id = ? WHERE id = ?", (low, high))
        conn.execute("UPDATE assessment SET id = ? WHERE id = -1", (high,))
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == [code]


def test_a_subject_given_a_second_course_by_plain_sql_shows_each(db: Path, classified: list[str]) -> None:
    """One subject, two course rows (another program dropped the unique index and added one): the
    roster has a row for each, and each must be its own course's."""
    start(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP INDEX ix_course_subject_id")
        code, sid = conn.execute(
            "SELECT subject_code, id FROM subject ORDER BY subject_code LIMIT 1"
        ).fetchone()
        conn.execute(
            "INSERT INTO course (subject_id, agent, regimen, first_dose, intercurrent_therapy, "
            "adjuvant_after_neoadjuvant) SELECT subject_id, 'another agent', regimen, "
            "date(first_dose, '-400 days'), intercurrent_therapy, adjuvant_after_neoadjuvant "
            "FROM course WHERE subject_id = ?",
            (sid,),
        )
    classified.clear()
    rows = start(db)
    assert rows == fresh(db)
    assert len([r for r in rows if r.subject_id == code]) == 2
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == []


def test_the_code_identity_covers_how_the_keys_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """The visit texts are printed by SQL in core.store.engine and by the SQLite library: another
    query or another SQLite may print other values as one text, so either is other code."""
    result_cache.code_identity.cache_clear()
    base = result_cache.code_identity()
    assert base is not None
    real = result_cache._module_bytes
    try:
        with monkeypatch.context() as patch:
            patch.setattr(
                result_cache,
                "_module_bytes",
                lambda name: real(name) + (b"#" if name == "core.store.engine" else b""),
            )
            result_cache.code_identity.cache_clear()
            assert result_cache.code_identity() != base
        with monkeypatch.context() as patch:
            patch.setattr(sqlite3, "sqlite_version", "3.99.0")
            result_cache.code_identity.cache_clear()
            assert result_cache.code_identity() != base
    finally:
        result_cache.code_identity.cache_clear()
    assert result_cache.code_identity() == base


def test_a_write_between_the_key_query_and_the_visit_query_is_not_stored_under_the_old_key(
    db: Path, classified: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys and the visits of the subjects to classify are read in one transaction: another
    program committing a change in between must not make the row of the new visits be stored
    under the key of the old ones (the old ones, back, would then show the new row)."""
    start(db)
    vid, code = _first_visit(db)
    _edit(db, "UPDATE assessment SET response = 'PD', clinical_progression = 1 WHERE id = ?", vid)
    before = fresh(db)
    real = reading_module.visit_texts

    def then_another_program_writes(conn, study_id):  # type: ignore[no-untyped-def]
        texts = real(conn, study_id)
        _edit(db, "UPDATE assessment SET response = 'CR', clinical_progression = 0 WHERE id = ?", vid)
        return texts

    with monkeypatch.context() as patch:
        patch.setattr(reading_module, "visit_texts", then_another_program_writes)
        classified.clear()
        shown = start(db)
    assert classified == [code]
    assert shown == before  # what the file held when the read began
    _edit(db, "UPDATE assessment SET response = 'PD', clinical_progression = 1 WHERE id = ?", vid)
    classified.clear()
    assert start(db) == fresh(db) == before  # its key's row is its own
    assert classified == []
    _edit(db, "UPDATE assessment SET response = 'CR', clinical_progression = 0 WHERE id = ?", vid)
    assert start(db) == fresh(db) != before


def test_a_subject_with_two_rows_to_classify_has_its_visits_read_once(
    db: Path, classified: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both rows of a subject with two courses missing the cache put its pk twice in the list of
    subjects whose visits are read, in chunks: in two chunks, its visits were read twice."""
    start(db)
    monkeypatch.setattr(reading_module, "_IN_CHUNK", 1)
    vid, code = _first_visit(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP INDEX ix_course_subject_id")
        conn.execute(
            "INSERT INTO course (subject_id, agent, regimen, first_dose, intercurrent_therapy, "
            "adjuvant_after_neoadjuvant) SELECT subject_id, 'another agent', regimen, first_dose, "
            "intercurrent_therapy, adjuvant_after_neoadjuvant FROM course "
            "WHERE subject_id = (SELECT subject_id FROM assessment WHERE id = ?)",
            (vid,),
        )
        conn.execute("UPDATE assessment SET response = 'PD' WHERE id = ?", (vid,))
    classified.clear()
    assert start(db) == fresh(db)
    assert classified == [code, code]


@pytest.mark.parametrize("table", ["assessment", "subject"])
def test_visits_read_through_a_view_are_keyed_on_the_values_classified(
    db: Path, classified: list[str], table: str
) -> None:
    """A table replaced by a view (plain SQL; the application still reads it) may give other
    values at each query, in one transaction too (random(), 'now'): the key must then come from
    the values classified, not from a text made by another query of the view."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.isolation_level = None
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_data")
        conn.execute(f"CREATE VIEW {table} AS SELECT {', '.join(columns)} FROM {table}_data")
    with Store.open(db, backup_daily=False) as store:
        study = store.studies()[0].id or 0
        with store._read.connect() as conn, conn.begin():
            assert engine_module.visit_texts(conn, study) is None
        assert store.roster_rows(study, AS_OF) == fresh(db)


def test_two_visits_of_one_day_with_one_id_are_told_apart_whatever_order_the_scans_give(
    db: Path, classified: list[str]
) -> None:
    """Visit ids that are not the table's row ids (a table rebuilt without its primary key) may
    repeat: two visits of one day with one id are then put in the order of the rows, while the
    text lists them in the order of whatever index its query scans (here by response)."""
    _rebuild(db, lambda sql, _conn: sql.replace("PRIMARY KEY (id), ", ""))
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE INDEX ix_by_response ON assessment (subject_id, response)")
        conn.execute("CREATE INDEX ix_by_date ON assessment (subject_id, date, id)")
        code, first, second, date = next(
            (code, v, w, d)
            for code, v, w, d, rv, rw in conn.execute(
                "SELECT s.subject_code, a.rowid, b.rowid, b.date, a.response, b.response FROM assessment a "
                "JOIN assessment b ON b.subject_id = a.subject_id AND b.date > a.date "
                "JOIN subject s ON s.id = a.subject_id ORDER BY s.subject_code, b.date DESC"
            )
            if rv != rw and rv is not None and rw is not None
        )
        conn.execute("UPDATE assessment SET id = 0, date = ? WHERE rowid IN (?, ?)", (date, first, second))
        conn.execute("UPDATE assessment SET response = 'PD' WHERE rowid = ?", (first,))
        conn.execute("UPDATE assessment SET response = 'CR' WHERE rowid = ?", (second,))
    start(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE assessment SET response = 'CR' WHERE rowid = ?", (first,))
        conn.execute("UPDATE assessment SET response = 'PD' WHERE rowid = ?", (second,))
    classified.clear()
    assert start(db) == fresh(db)
    assert code in classified
