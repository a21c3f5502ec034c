"""What every subcommand shares: exit codes, argument types, password input,
opening the database, signing in, choosing the study, and turning the core's
errors into messages. Imports nothing else of ``core.cli``."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from core import limits
from core.casefile import parse_date, parse_document, read_document
from core.dbfile import check_database_arg
from core.errors import CaseFormatError, InputError, ResistDeskError
from core.paths import default_db_path
from core.rules import Course
from core.store.errors import NotFoundError

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only by the commands that use it
    from core.store.models import Study
    from core.store.store import Actor, Store

EXIT_OK, EXIT_FAILURE, EXIT_MALFORMED = 0, 1, 2

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error as ``UsageError`` (exit status 2 from ``main``)
    instead of exiting from inside the parser, so the command line runs in-process too.
    Its sub-parsers are of the same class (argparse's default)."""

    def error(self, message: str) -> typing.NoReturn:
        raise UsageError(f"{self.format_usage()}{self.prog}: error: {message}")


class UsageError(Exception):
    """A command line argparse refused: the message names the argument."""


def date_arg(text: str) -> dt.date:
    """An argparse type for ``--as-of DATE`` (YYYY-MM-DD, within the plausible dates)."""
    try:
        return parse_date(text, "--as-of")
    except CaseFormatError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def text_arg(text: str) -> str:
    """An argparse type for names and ids: no control or unprintable character, bounded length."""
    # Arguments are not spreadsheet cells: a leading "-" or "=" in a title is not refused here.
    problem = limits.text_problem(text.strip(), limits.MAX_NAME_CHARS, formula=False)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _path_text(text: str) -> str:
    problem = limits.text_problem(text, 4096, formula=False)
    if problem:
        raise argparse.ArgumentTypeError(f"not a usable path: {problem}")
    if not text:
        raise argparse.ArgumentTypeError("an empty path")
    return text


def _kind(path: Path) -> str:
    """Say "folder", "file" or "missing"; a path the system refuses (too long) is a usage error."""
    try:
        if path.is_dir():
            return "folder"
        return "file" if path.exists() else "missing"
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"not a usable path: {exc.strerror or exc}") from None


def path_arg(text: str) -> Path:
    """An argparse type for a path checked later (each case file is reported on its own)."""
    return Path(_path_text(text))


def input_file(text: str) -> Path:
    """An argparse type for a file that is read: it exists and is not a folder."""
    path = Path(_path_text(text))
    kind = _kind(path)
    if kind == "folder":
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if kind == "missing":
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def output_file(text: str) -> Path:
    """An argparse type for a file that is written: not a folder, in a folder that exists."""
    path = Path(_path_text(text))
    if _kind(path) == "folder":
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file name")
    if _kind(path.parent) != "folder":
        raise argparse.ArgumentTypeError(f"no such folder: {path.parent}")
    return path


def database_file(text: str) -> Path:
    """An argparse type for ``--db``: a file (created by ``init`` and ``demo``), never a folder."""
    path = Path(_path_text(text))
    if _kind(path) == "folder":
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a database file")
    return path


def output_path(text: str) -> Path:
    """An argparse type for a file or folder that is written (``backup DEST``): its folder exists."""
    path = Path(_path_text(text))
    if _kind(path) != "folder" and _kind(path.parent) != "folder":
        raise argparse.ArgumentTypeError(f"no such folder: {path.parent}")
    return path


def int_arg(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        value = text.strip()
        if not (value.isascii() and value.lstrip("-").isdigit()):
            raise argparse.ArgumentTypeError(f"{limits.show(text)} is not a whole number")
        if len(value) > 12:
            raise argparse.ArgumentTypeError(f"must be {low} to {high}, not a number of {len(value)} digits")
        number = int(value)
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high}, not {number}")
        return number

    parse.__name__ = "whole number"  # argparse names the type in some messages
    return parse


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


def open_store(args: argparse.Namespace, err: TextIO | None = None) -> Store:
    """Open an existing study file (never creating one); its warnings go to ``err``."""
    from core.store.store import Store

    db = db_path(args)
    if not db.exists():
        raise NotFoundError(f"no database at {db} (create one with `resistdesk init` or `resistdesk demo`)")
    check_database_arg(db)
    store = Store.open(db, create=False)
    for warning in store.warnings:
        (err or sys.stderr).write(f"warning: {warning}\n")
    return store


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
        except OSError as exc:  # a file the command writes or reads: disk full, permissions
            where = f"{exc.filename}: " if exc.filename else ""
            err.write(f"error: {where}{exc.strerror or exc}\n")
            return EXIT_FAILURE
        except Exception as exc:
            if not _is_damage(exc):
                raise
            # Damage the quick check on opening did not see, met while reading: say so and
            # point to the newest good backup, as the open does.
            from core.store.backup import damaged_message

            err.write(f"error: {damaged_message(db_path(args), str(exc).splitlines()[0])}\n")
            return EXIT_FAILURE

    return run


def _is_damage(exc: BaseException) -> bool:
    import sqlite3

    text = str(exc).lower()
    kinds: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import DatabaseError

        kinds += (DatabaseError,)
    return isinstance(exc, kinds) and ("malformed" in text or "not a database" in text)


def db_arg(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: without it the subcommand's default (None) overwrote `resistdesk --db FILE
    # COMMAND`, and the command went to the default database instead of FILE.
    p.add_argument(
        "--db",
        type=database_file,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"study database (default: {default_db_path()})",
    )


def user_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--user", type=text_arg, metavar="ID", help="acting user; the password is read from standard input"
    )
