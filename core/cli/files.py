"""``backup`` and ``restore`` of the study file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from core.cli.common import (
    EXIT_OK,
    PASSWORDS,
    db_arg,
    db_path,
    guard,
    input_file,
    login,
    open_store,
    output_path,
    user_arg,
)
from core.errors import InputError


def cmd_backup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.anchors import backup_anchor

    with open_store(args, err) as store:
        actor = login(store, args, "backup.create")
        made = store.backup(actor, Path(args.dest) if args.dest else None)
    anchor = backup_anchor(made)
    where = f" (audit trail at row {anchor.position}, hash {anchor.hash})" if anchor else ""
    out.write(f"{made}{where}\n")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.restore import restore_study

    db = db_path(args)
    if not args.user:
        raise InputError(
            "--user", "name an administrator of the study being replaced (password from standard input)"
        )
    password = PASSWORDS.read(f"Password for {args.user}: ")
    result = restore_study(db, args.file, args.user, password, force=args.force)
    note = f" (the file it replaced is kept as {result.safety})" if result.safety else ""
    forced = " (forced: a backup of another study file)" if result.forced else ""
    out.write(f"restored {db} from {args.file}{forced}{note}\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("backup", help="online backup (default: the backups folder beside the database)")
    db_arg(p)
    user_arg(p)
    p.add_argument("dest", nargs="?", type=output_path, metavar="PATH", help="backup file or folder")
    p.set_defaults(handler=guard(cmd_backup))

    p = sub.add_parser(
        "restore",
        help="replace the database by a checked backup (an administrator of the study being replaced)",
        description="Check the backup, keep a copy of the current file, and replace it. "
        "The --user must be an "
        "administrator of the CURRENT study file; a backup of another study file is refused unless --force.",
    )
    db_arg(p)
    user_arg(p)
    p.add_argument("file", type=input_file, metavar="BACKUP")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the study by a backup of ANOTHER study file (administrators)",
    )
    p.set_defaults(handler=guard(cmd_restore))
