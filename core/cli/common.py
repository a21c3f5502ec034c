"""What every subcommand shares: exit codes, argument types, password input,
opening the database, signing in, choosing the study, and turning the core's
errors into messages. Imports nothing else of ``core.cli``."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from core.casefile import parse_date, parse_document, read_document
from core.errors import CaseFormatError, InputError, ResistDeskError
from core.paths import default_db_path
from core.rules import Course
from core.store.errors import NotFoundError

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only by the commands that use it
    from core.store.models import Study
    from core.store.store import Actor, Store

EXIT_OK, EXIT_FAILURE, EXIT_MALFORMED = 0, 1, 2

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


def date_arg(text: str) -> dt.date:
    """An argparse type for ``--as-of DATE`` (YYYY-MM-DD)."""
    try:
        return parse_date(text, "--as-of")
    except CaseFormatError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def dump(obj: Any, out: TextIO, compact: bool) -> None:
    if compact:
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        out.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def load_case_files(
    paths: Sequence[Path], err: TextIO
) -> tuple[list[tuple[Path, tuple[list[Course], bool]]], bool]:
    """Parse every file; report each malformed case on ``err``.

    Returns the documents that parsed completely, as (path, (courses,
    was_array)), and whether any input was malformed. A file with any malformed case yields
    nothing, so no array is half-printed.
    """
    documents: list[tuple[Path, tuple[list[Course], bool]]] = []
    malformed = False
    for path in paths:
        try:
            data = read_document(path)
        except CaseFormatError as exc:
            err.write(f"error: {exc}\n")
            malformed = True
            continue
        courses, many, errors = parse_document(data, source=str(path))
        if errors:
            malformed = True
            for error in errors:
                err.write(f"error: {error}\n")
            continue
        documents.append((path, (courses, many)))
    return documents, malformed


class Passwords:
    """Reads passwords from standard input: prompted on a terminal, one per line otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def read(self, prompt: str) -> str:
        if self._stream.isatty():
            return getpass.getpass(prompt)
        line = self._stream.readline()
        if not line:
            raise InputError("password", "expected a password on standard input")
        return line.rstrip("\r\n")

    def new(self, prompt: str) -> str:
        first = self.read(prompt)
        if self._stream.isatty() and self.read("Repeat the password: ") != first:
            raise InputError("password", "the two passwords differ")
        return first


PASSWORDS = Passwords(sys.stdin)


def db_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else default_db_path()


def open_store(args: argparse.Namespace) -> Store:
    from core.store.store import Store

    db = db_path(args)
    if not db.exists() and not getattr(args, "create", False):
        raise NotFoundError(f"no database at {db} (create one with `resistdesk init` or `resistdesk demo`)")
    return Store.open(db)


def login(store: Store, args: argparse.Namespace, action: str | None = None) -> Actor:
    """Sign in the ``--user`` (password from standard input); with ``action``, also check
    the permission table for it (every command that reads study data names its action)."""
    if not args.user:
        raise InputError("--user", "name the acting user (its password is read from standard input)")
    actor = store.authenticate(args.user, PASSWORDS.read(f"Password for {args.user}: "))
    return actor if action is None else store.authorize(actor, action)


def pick_study(store: Store, protocol: str | None) -> Study:
    if protocol:
        return store.study_by_protocol(protocol)
    studies = store.studies()
    if len(studies) != 1:
        listed = ", ".join(s.protocol_id for s in studies) or "none"
        raise InputError("--study", f"name the study (studies in this database: {listed})")
    return studies[0]


def guard(handler: Handler) -> Handler:
    """Turn the core's errors into messages and exit codes."""

    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        try:
            return handler(args, out, err)
        except InputError as exc:
            err.write(f"error: {exc}\n")
            return EXIT_MALFORMED
        except ResistDeskError as exc:
            err.write(f"error: {exc}\n")
            return EXIT_FAILURE

    return run


def db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, metavar="PATH", help=f"study database (default: {default_db_path()})")


def user_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="ID", help="acting user; the password is read from standard input")
