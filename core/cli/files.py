"""``backup`` and ``restore`` of the study file."""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
from pathlib import Path
from typing import Any, TextIO

from core.cli.common import (
    EXIT_OK,
    PASSWORDS,
    db_arg,
    db_path,
    guard,
    login,
    open_store,
    user_arg,
)
from core.errors import InputError
from core.store.errors import AuthError
from core.store.users import Role


def cmd_backup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.backup import backup_database, backup_dir_for

    db = db_path(args)
    with open_store(args) as store:
        login(store, args, "backup.create")
    dest = args.dest or backup_dir_for(db)
    made = backup_database(db, Path(dest))
    out.write(f"{made}\n")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.backup import check_database_file, restore_database
    from core.store.store import Actor, Store, known_revision
    from core.store.users import verify_password

    db = db_path(args)
    check_database_file(args.file, known_revision)
    if not args.user:
        raise InputError("--user", "name an administrator of the backup (password from standard input)")
    # Checked read-only against the backup, which must hold the administrator: the file is not modified.
    with contextlib.closing(sqlite3.connect(f"file:{args.file}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT password_hash, role, active FROM user_account WHERE username = ?", (args.user,)
        ).fetchone()
    password = PASSWORDS.read(f"Password for {args.user}: ")
    if row is None or not row[2] or not verify_password(password, row[0]):
        raise AuthError("wrong user id or password (as recorded in the backup)")
    if row[1] != Role.ADMINISTRATOR.value:
        raise AuthError("only an administrator can restore a database")
    safety = restore_database(args.file, db, known_revision)
    with Store.open(db, backup_daily=False) as store:
        actor = Actor(args.user, Role.ADMINISTRATOR)
        store.log_event(actor, "restore", detail=args.file.name, reason="restored from backup")
    note = f" (previous database saved as {safety})" if safety else ""
    out.write(f"restored {db} from {args.file}{note}\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("backup", help="online backup (default: the backups folder beside the database)")
    db_arg(p)
    user_arg(p)
    p.add_argument("dest", nargs="?", type=Path, metavar="PATH", help="backup file or folder")
    p.set_defaults(handler=guard(cmd_backup))

    p = sub.add_parser(
        "restore", help="replace the database by a checked backup (administrator of the backup)"
    )
    db_arg(p)
    user_arg(p)
    p.add_argument("file", type=Path, metavar="BACKUP")
    p.set_defaults(handler=guard(cmd_restore))
