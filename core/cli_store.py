"""Database subcommands of ``resistdesk`` (init, demo, users, studies, import/export,
backup/restore, audit).

Every command takes ``--db PATH`` (default: the user data directory). Commands
that change data name the acting user with ``--user ID``; the password is read
from standard input (prompted when it is a terminal), so the audit trail stays
attributable.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from core.casefile import json_number
from core.errors import InputError, ResistDeskError
from core.paths import default_db_path
from core.store.errors import AuthError, NotFoundError
from core.store.users import Role

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only by the commands that use it
    from core.store.models import Study
    from core.store.store import Actor, Store

EXIT_OK, EXIT_FAILURE, EXIT_MALFORMED = 0, 1, 2

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


class _Passwords:
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


PASSWORDS = _Passwords(sys.stdin)


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else default_db_path()


def _open(args: argparse.Namespace) -> Store:
    from core.store.store import Store

    db = _db(args)
    if not db.exists() and not getattr(args, "create", False):
        raise NotFoundError(f"no database at {db} (create one with `resistdesk init` or `resistdesk demo`)")
    return Store.open(db)


def _login(store: Store, args: argparse.Namespace) -> Actor:
    if not args.user:
        raise InputError("--user", "name the acting user (its password is read from standard input)")
    return store.authenticate(args.user, PASSWORDS.read(f"Password for {args.user}: "))


def _study(store: Store, protocol: str | None) -> Study:
    if protocol:
        return store.study_by_protocol(protocol)
    studies = store.studies()
    if len(studies) != 1:
        listed = ", ".join(s.protocol_id for s in studies) or "none"
        raise InputError("--study", f"name the study (studies in this database: {listed})")
    return studies[0]


def _guard(handler: Handler) -> Handler:
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


# ---------------------------------------------------------------------------
# Commands


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.store import Store

    db = _db(args)
    with Store.open(db) as store:
        if store.has_users():
            raise InputError("--db", f"{db} already has user accounts")
        password = PASSWORDS.new(f"Password for the administrator {args.admin}: ")
        store.create_user(None, args.admin, args.name, Role.ADMINISTRATOR, password)
    out.write(f"created {db} with administrator {args.admin}\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.demo import DEMO_USERS, create_demo

    db = _db(args)
    password = PASSWORDS.new("Password for the demo accounts (admin, coordinator, investigator): ")
    store = create_demo(db, password)
    rows = store.roster_rows(store.studies()[0].id or 0, store.today())
    store.close()
    out.write(
        f"created demo study in {db}: {len(rows)} subjects; accounts "
        + ", ".join(u for u, _, _ in DEMO_USERS)
        + "\n"
    )
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as store:
        actor = _login(store, args)
        password = PASSWORDS.new(f"Password for the new user {args.username}: ")
        store.create_user(actor, args.username, args.name, args.role, password)
    out.write(f"created user {args.username} ({args.role})\n")
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as store:
        for u in store.users():
            state = "active" if u.active else "disabled"
            out.write(f"{u.username}\t{u.role}\t{state}\t{u.full_name}\n")
    return EXIT_OK


def cmd_study_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as store:
        actor = _login(store, args)
        overrides = dict(_parse_param(p) for p in args.param)
        store.create_study(
            actor,
            args.protocol,
            args.title,
            sponsor=args.sponsor,
            site=args.site,
            criteria=args.criteria,
            rule_overrides=overrides,
            enrolled_categories=args.enrolls,
        )
    out.write(f"created study {args.protocol}\n")
    return EXIT_OK


def _parse_param(text: str) -> tuple[str, Any]:
    from core.rules import parse_override

    return parse_override(text)


def cmd_study_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as store:
        for s in store.studies():
            out.write(f"{s.protocol_id}\t{s.criteria}\t{'demo' if s.is_demo else ''}\t{s.title}\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.store import Actor

    with _open(args) as store:
        study = _study(store, args.study)
        cases = store.export_cases(study.id or 0, args.subject)
        store.log_event(
            Actor(f"os:{getpass.getuser()}", Role.COORDINATOR),
            "export",
            entity="study",
            entity_id=study.id,
            detail=f"{len(cases)} case(s)" + (f" subject {args.subject}" if args.subject else ""),
        )
    out.write(json.dumps(cases, indent=2, ensure_ascii=False, default=json_number) + "\n")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.cli import load_case_files

    documents, malformed = load_case_files(args.files, err)
    if malformed:
        err.write("error: nothing was imported\n")
        return EXIT_MALFORMED
    courses = [c for _, (found, _) in documents for c in found]
    with _open(args) as store:
        actor = _login(store, args)
        study = _study(store, args.study)
        names = ", ".join(p.name for p in args.files)
        count = store.import_cases(actor, study.id or 0, courses, reason=f"import from {names}")
    out.write(f"imported {count} subject(s) into {study.protocol_id}\n")
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.store import import_roster_csv

    with _open(args) as store:
        actor = _login(store, args)
        study = _study(store, args.study)
        report = import_roster_csv(store, actor, study.id or 0, args.file)
    if not report.ok:
        for r in report.rejected:
            err.write(f"error: {args.file}: line {r.line}: field '{r.field}': {r.message}\n")
        err.write(f"error: {len(report.rejected)} row(s) rejected; nothing was imported\n")
        return EXIT_MALFORMED
    out.write(f"imported {report.imported} subject(s) into {study.protocol_id}\n")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.backup import backup_database, backup_dir_for

    db = _db(args)
    if not db.exists():
        raise NotFoundError(f"no database at {db}")
    dest = args.dest or backup_dir_for(db)
    made = backup_database(db, Path(dest))
    out.write(f"{made}\n")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.backup import check_database_file, restore_database
    from core.store.store import Actor, Store, known_revision
    from core.store.users import verify_password

    db = _db(args)
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


def cmd_audit_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as store:
        report = store.verify_audit()
    (out if report.ok else err).write(report.describe() + "\n")
    return EXIT_OK if report.ok else EXIT_FAILURE


def cmd_audit_log(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open(args) as store:
        events = store.audit_events(user=args.filter_user, entity=args.entity, limit=args.limit)
    for e in reversed(events):
        change = ""
        if e.field and e.field != "*":
            change = f" {e.field}: {e.old_value!r} -> {e.new_value!r}"
        elif e.new_value or e.old_value:
            change = f" {e.new_value or e.old_value}"
        reason = f" (reason: {e.reason})" if e.reason else ""
        target = f" {e.entity}#{e.entity_id}" if e.entity else ""
        out.write(f"{e.id}\t{e.at_utc}\t{e.user}\t{e.action}{target}{change}{reason}\n")
    return EXIT_OK


def cmd_classify_db(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``classify --db``: classify every stored subject of a study."""
    with _open(args) as store:
        study = _study(store, args.study)
        as_of = args.as_of or dt.datetime.now().astimezone().date()
        rows = store.roster_rows(study.id or 0, as_of)
    chosen = [r.result for r in rows if args.subject in (None, r.subject_id)]
    if args.subject and not chosen:
        raise NotFoundError(f"no subject {args.subject!r} in study {study.protocol_id}")
    if getattr(args, "text", False):
        from core.presentation import classification_text

        out.write("".join(classification_text(r) + "\n\n" for r in chosen))
        return EXIT_OK
    results = [r.to_json() for r in chosen]
    out.write(json.dumps(results, indent=None if args.compact else 2, ensure_ascii=False) + "\n")
    return EXIT_OK


def cmd_worksheet(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.worksheets import prepare_worksheet, sign_worksheet
    from core.worksheet.document import DEFAULT_MEANING

    with _open(args) as store:
        study = _study(store, args.study)
        pk = store.subject_pk(study.id or 0, args.subject)
        preparer = _login(store, args) if args.user else None
        signer = None
        if args.sign_as:
            password = PASSWORDS.read(f"Password for {args.sign_as} (to sign): ")
            signer = store.authenticate(args.sign_as, password)
            if signer.role is not Role.INVESTIGATOR:
                raise AuthError("only an investigator can sign a worksheet; a coordinator prepares it")
        as_of = args.as_of or store.today()
        worksheet_id, pdf = prepare_worksheet(
            store, preparer or signer, pk, as_of, label=f"os:{getpass.getuser()}"
        )
        if signer is not None:
            pdf = sign_worksheet(store, signer, worksheet_id, password, args.meaning or DEFAULT_MEANING)
    args.output.write_bytes(pdf)
    state = f"signed by {signer.full_name}" if signer else "draft (not signed)"
    out.write(f"wrote {args.output}: worksheet for {args.subject}, {state}\n")
    return EXIT_OK


def cmd_site_cert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import site_certificate_pem
    from core.worksheet.pki import fingerprint

    with _open(args) as store:
        pem = site_certificate_pem(store)
    args.output.write_text(pem, encoding="ascii")
    out.write(f"wrote {args.output}: site certificate, SHA-256 fingerprint {fingerprint(pem)}\n")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.worksheet.pdfsign import verify_pdf

    if (args.trust is None) == (args.db is None):
        raise InputError(
            "--trust", "give the site certificate (--trust FILE.pem) or the database (--db PATH)"
        )
    if args.trust is not None:
        try:
            trust = args.trust.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("--trust", f"cannot read {args.trust}: {exc}") from None
    else:
        from core.store.site_keys import site_certificate_pem

        with _open(args) as store:
            trust = site_certificate_pem(store)
    try:
        pdf = args.file.read_bytes()
    except OSError as exc:
        raise InputError("FILE", f"cannot read {args.file}: {exc.strerror}") from None
    report = verify_pdf(pdf, trust)
    out.write(f"{args.file}\n{report.describe()}\n")
    return EXIT_OK if report.ok else EXIT_FAILURE


# ---------------------------------------------------------------------------
# Parser


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, metavar="PATH", help=f"study database (default: {default_db_path()})")


def _user_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="ID", help="acting user; the password is read from standard input")


def register(sub: Any) -> None:
    """Add the database subcommands to the ``resistdesk`` parser."""
    from core.cli import date_arg  # core.cli is loaded: it is the one calling register()

    p = sub.add_parser("init", help="create a new database with its first administrator")
    _db_arg(p)
    p.add_argument("--admin", required=True, metavar="ID", help="user id of the administrator")
    p.add_argument("--name", required=True, help="printed name of the administrator")
    p.set_defaults(handler=_guard(cmd_init))

    p = sub.add_parser("demo", help="create a database holding the demo study (about 30 subjects)")
    _db_arg(p)
    p.set_defaults(handler=_guard(cmd_demo))

    user = sub.add_parser("user", help="user accounts").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    p = user.add_parser("add", help="add a user (administrators); reads your password, then the new one")
    _db_arg(p)
    _user_arg(p)
    p.add_argument("username", metavar="NEW_ID")
    p.add_argument("--name", required=True, help="printed name (appears on signatures)")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.set_defaults(handler=_guard(cmd_user_add))
    p = user.add_parser("list", help="list user accounts")
    _db_arg(p)
    p.set_defaults(handler=_guard(cmd_user_list))

    study = sub.add_parser("study", help="studies").add_subparsers(
        dest="study_command", metavar="ACTION", required=True
    )
    p = study.add_parser("add", help="add a study")
    _db_arg(p)
    _user_arg(p)
    p.add_argument("--protocol", required=True, help="protocol id")
    p.add_argument("--title", required=True)
    p.add_argument("--sponsor", default="")
    p.add_argument("--site", default="")
    p.add_argument("--criteria", default="RECIST 1.1", choices=["RECIST 1.1", "iRECIST"])
    p.add_argument(
        "--enrolls",
        action="append",
        default=[],
        metavar="CATEGORY",
        help="a category the protocol enrolls (repeatable)",
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="rule parameter override"
    )
    p.set_defaults(handler=_guard(cmd_study_add))
    p = study.add_parser("list", help="list studies")
    _db_arg(p)
    p.set_defaults(handler=_guard(cmd_study_list))

    p = sub.add_parser("export", help="export subjects as case files (JSON array on standard output)")
    _db_arg(p)
    p.add_argument("--study", metavar="PROTOCOL", help="study (needed when the database holds several)")
    p.add_argument("--subject", metavar="ID", help="only this subject")
    p.set_defaults(handler=_guard(cmd_export))

    p = sub.add_parser("import", help="import case files (all or nothing)")
    _db_arg(p)
    _user_arg(p)
    p.add_argument("--study", metavar="PROTOCOL")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(handler=_guard(cmd_import))

    p = sub.add_parser("import-roster", help="import a roster CSV (every row checked first; all or nothing)")
    _db_arg(p)
    _user_arg(p)
    p.add_argument("--study", metavar="PROTOCOL")
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.set_defaults(handler=_guard(cmd_import_roster))

    p = sub.add_parser("backup", help="online backup (default: the backups folder beside the database)")
    _db_arg(p)
    p.add_argument("dest", nargs="?", type=Path, metavar="PATH", help="backup file or folder")
    p.set_defaults(handler=_guard(cmd_backup))

    p = sub.add_parser(
        "restore", help="replace the database by a checked backup (administrator of the backup)"
    )
    _db_arg(p)
    _user_arg(p)
    p.add_argument("file", type=Path, metavar="BACKUP")
    p.set_defaults(handler=_guard(cmd_restore))

    p = sub.add_parser(
        "worksheet",
        help="write a subject's eligibility worksheet (PDF): a draft, or signed with --sign-as",
        description="Prepare a subject's eligibility worksheet. Without --sign-as it is a DRAFT; with "
        "--sign-as USERID the investigator's password is read from standard input and the PDF is signed.",
    )
    _db_arg(p)
    p.add_argument("--study", metavar="PROTOCOL")
    p.add_argument("--subject", required=True, metavar="ID")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf")
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="classify as of this date (default: today)")
    p.add_argument("--user", metavar="ID", help="who prepares it (password first on standard input)")
    p.add_argument("--sign-as", metavar="USERID", help="investigator who signs (password on standard input)")
    p.add_argument("--meaning", help="meaning of the signature (default: reviewed and confirmed)")
    p.set_defaults(handler=_guard(cmd_worksheet))

    p = sub.add_parser("site-cert", help="export the site certificate (PEM) for monitors")
    _db_arg(p)
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pem")
    p.set_defaults(handler=_guard(cmd_site_cert))

    p = sub.add_parser(
        "verify",
        help="verify a signed worksheet PDF (exit 0 only when everything holds)",
        description="Check a worksheet's signature, its integrity and coverage, the certificate chain to the "
        "site authority, the attached case, and re-classify it with the recorded rule set.",
    )
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--trust", type=Path, metavar="FILE.pem", help="the site certificate")
    p.add_argument("--db", type=Path, metavar="PATH", help="or take the site certificate from this database")
    p.set_defaults(handler=_guard(cmd_verify))

    audit = sub.add_parser("audit", help="audit trail").add_subparsers(
        dest="audit_command", metavar="ACTION", required=True
    )
    p = audit.add_parser(
        "verify", help="check the hash chain; names the first row altered, inserted or removed"
    )
    _db_arg(p)
    p.set_defaults(handler=_guard(cmd_audit_verify))
    p = audit.add_parser("log", help="show the audit trail, oldest first")
    _db_arg(p)
    p.add_argument("--filter-user", metavar="ID")
    p.add_argument("--entity", metavar="TABLE")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(handler=_guard(cmd_audit_log))
