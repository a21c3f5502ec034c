"""Migrations: from empty, from an older revision with data, and a failure that rolls back."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import core.store.models  # noqa: F401  (registers the tables)
from core.store import SchemaError, Store
from core.store.migrate import MIGRATIONS_DIR, current_revision, head_revision, migrate
from tests.core.store.conftest import dump


def tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_new_database_is_migrated_from_empty_to_head(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    assert migrate(db) is None  # nothing to back up
    assert current_revision(db) == head_revision()
    assert {"study", "subject", "course", "assessment", "audit_event", "worksheet", "signature"} <= tables(db)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = tmp_path / "schema.sqlite3"
    migrate(db)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_older_database_with_data_is_upgraded_after_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    migrate(db, target="0001")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO study (protocol_id, title, sponsor, site, criteria, rule_overrides, "
            "enrolled_categories, is_demo) VALUES ('OLD-1', 'Old study', '', '', 'RECIST 1.1', '{}', '[]', 0)"
        )
    with Store.open(db, backup_daily=False) as store:
        studies = store.studies()
    assert current_revision(db) == head_revision()
    assert [(s.protocol_id, s.paper_size) for s in studies] == [("OLD-1", "A4")]
    backup = tmp_path / "backups" / "pre-migration-0001.sqlite3"
    assert current_revision(backup) == "0001"


def test_failed_migration_leaves_the_database_exactly_as_it_was(tmp_path: Path) -> None:
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, location)
    (location / "versions" / "0099_broken.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        f"revision = '0099'\ndown_revision = {head_revision()!r}\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('half_done', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.add_column('study', sa.Column('extra', sa.String(), nullable=True))\n"
        "    op.execute(\"UPDATE study SET title = 'changed'\")\n"
        "    op.execute('INSERT INTO no_such_table VALUES (1)')\n"
        "def downgrade():\n    pass\n",
        encoding="utf-8",
    )
    db = tmp_path / "study.sqlite3"
    migrate(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO study (protocol_id, title, sponsor, site, criteria, rule_overrides, "
            "enrolled_categories, is_demo, paper_size) VALUES ('P', 'Kept', '', '', 'RECIST 1.1', '{}', '[]', 0, 'A4')"
        )
    before = dump(db)
    with pytest.raises(SchemaError, match="rolled back"):
        migrate(db, location=location)
    assert dump(db) == before
    assert current_revision(db) == head_revision()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    migrate(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaError, match="newer"):
        Store.open(db)


def test_head_constant_matches_the_migration_scripts() -> None:
    from core.store.migrate import HEAD_REVISION

    assert head_revision() == HEAD_REVISION
