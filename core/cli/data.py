"""``export``, ``import``, ``import-roster`` and ``classify --db``: study data in and out."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from core.casefile import json_number
from core.cli.common import (
    EXIT_MALFORMED,
    EXIT_OK,
    db_arg,
    guard,
    login,
    open_store,
    pick_study,
    user_arg,
)
from core.store.errors import NotFoundError


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args) as store:
        actor = login(store, args, "study.export")
        study = pick_study(store, args.study)
        cases = store.export_cases(study.id or 0, args.subject)
        store.log_event(
            actor,
            "export",
            entity="study",
            entity_id=study.id,
            detail=f"{len(cases)} case(s)" + (f" subject {args.subject}" if args.subject else ""),
        )
    out.write(json.dumps(cases, indent=2, ensure_ascii=False, default=json_number) + "\n")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.cli.common import load_case_files

    documents, malformed = load_case_files(args.files, err)
    if malformed:
        err.write("error: nothing was imported\n")
        return EXIT_MALFORMED
    courses = [c for _, (found, _) in documents for c in found]
    with open_store(args) as store:
        actor = login(store, args)
        study = pick_study(store, args.study)
        names = ", ".join(p.name for p in args.files)
        count = store.import_cases(actor, study.id or 0, courses, reason=f"import from {names}")
    out.write(f"imported {count} subject(s) into {study.protocol_id}\n")
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.store import import_roster_csv

    with open_store(args) as store:
        actor = login(store, args)
        study = pick_study(store, args.study)
        report = import_roster_csv(store, actor, study.id or 0, args.file)
    if not report.ok:
        for r in report.rejected:
            err.write(f"error: {args.file}: line {r.line}: field '{r.field}': {r.message}\n")
        err.write(f"error: {len(report.rejected)} row(s) rejected; nothing was imported\n")
        return EXIT_MALFORMED
    out.write(f"imported {report.imported} subject(s) into {study.protocol_id}\n")
    return EXIT_OK


def cmd_classify_db(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``classify --db``: classify every stored subject of a study."""
    with open_store(args) as store:
        login(store, args, "study.read")
        study = pick_study(store, args.study)
        as_of = args.as_of or dt.datetime.now().astimezone().date()
        rows = store.roster_rows(study.id or 0, as_of)
    results = [r.result.to_json() for r in rows if args.subject in (None, r.subject_id)]
    if args.subject and not results:
        raise NotFoundError(f"no subject {args.subject!r} in study {study.protocol_id}")
    out.write(json.dumps(results, indent=None if args.compact else 2, ensure_ascii=False) + "\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="export subjects as case files (JSON array on standard output)")
    db_arg(p)
    user_arg(p)
    p.add_argument("--study", metavar="PROTOCOL", help="study (needed when the database holds several)")
    p.add_argument("--subject", metavar="ID", help="only this subject")
    p.set_defaults(handler=guard(cmd_export))

    p = sub.add_parser("import", help="import case files (all or nothing)")
    db_arg(p)
    user_arg(p)
    p.add_argument("--study", metavar="PROTOCOL")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(handler=guard(cmd_import))

    p = sub.add_parser("import-roster", help="import a roster CSV (every row checked first; all or nothing)")
    db_arg(p)
    user_arg(p)
    p.add_argument("--study", metavar="PROTOCOL")
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.set_defaults(handler=guard(cmd_import_roster))
