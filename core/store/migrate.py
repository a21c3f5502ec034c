"""Schema migrations: a new database is migrated from empty; an older one is
upgraded after an automatic backup. All pending migrations run in one
transaction, so a failure leaves the database exactly as it was."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from core.store.backup import backup_database, backup_dir_for
from core.store.errors import SchemaError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest revision shipped. Opening a database already at it skips importing
# Alembic (start-up time); a test keeps this in step with the migration scripts.
HEAD_REVISION = "0006"  # 0006 (issue 14's keys) follows 0007 here; the integrator may renumber


def _config(location: Path) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    return cfg


def revisions(location: Path = MIGRATIONS_DIR) -> list[str]:
    """Every revision the program knows, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config(location))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def head_revision(location: Path = MIGRATIONS_DIR) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config(location)).get_current_head()
    if head is None:
        raise SchemaError("no migrations found")
    return head


def current_revision(db_path: Path) -> str | None:
    """The schema revision of a database file (None: empty or new)."""
    if not db_path.exists():
        return None
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return None if row is None else str(row[0])


def migrate(db_path: Path, *, location: Path = MIGRATIONS_DIR, target: str = "head") -> Path | None:
    """Bring the database to ``target``; returns the backup taken first, if any."""
    current = current_revision(db_path)
    if current == HEAD_REVISION and target == "head" and location == MIGRATIONS_DIR:
        return None  # already current: no need to load Alembic
    from alembic import command

    from core.store.engine import make_engine

    known = revisions(location)
    if current is not None and current not in known:
        raise SchemaError(
            f"{db_path}: schema version {current} is newer than this program knows; use a newer ResistDesk"
        )
    wanted = head_revision(location) if target == "head" else target
    if current == wanted:
        return None
    backup = None
    if current is not None:
        backup = backup_database(db_path, backup_dir_for(db_path) / f"pre-migration-{current}.sqlite3")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(db_path, writer=True)
    try:
        with engine.connect() as connection, connection.begin():
            cfg = _config(location)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, target)
    except Exception as exc:
        raise SchemaError(f"{db_path}: migration to {wanted} failed and was rolled back: {exc}") from exc
    finally:
        engine.dispose()
    return backup
