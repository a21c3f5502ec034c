"""``export``, ``import``, ``import-roster`` and ``classify --db``: study data in and out."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any, TextIO

from core.casefile import future_dates, json_number
from core.cli.common import (
    EXIT_MALFORMED,
    EXIT_OK,
    db_arg,
    guard,
    input_file,
    login,
    open_store,
    output_file,
    path_arg,
    pick_study,
    text_arg,
    user_arg,
)
from core.errors import InputError
from core.store.errors import NotFoundError


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        actor = login(store, args, "study.export")
        study = pick_study(store, args.study)
        cases = store.export_cases(study.id or 0, args.subject)
        if args.format == "csv":
            from core.store.csvexport import roster_csv

            courses = [c for _, _, c in store.read_courses(study.id or 0)]
            text = roster_csv(c for c in courses if args.subject in (None, c.subject_id))
        else:
            text = json.dumps(cases, indent=2, ensure_ascii=False, default=json_number) + "\n"
        if store.readonly:
            err.write("warning: the file is read-only: this export is not recorded in its audit trail\n")
        else:
            store.log_event(
                actor,
                "export",
                entity="study",
                entity_id=study.id,
                detail=f"{len(cases)} case(s) as {args.format}"
                + (f" subject {args.subject}" if args.subject else ""),
            )
    if args.output is None:
        out.write(text)
    else:  # a file: UTF-8 with a byte-order mark for CSV, so Excel does not guess its code page
        args.output.write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8", newline="")
        out.write(f"wrote {len(cases)} subject(s) to {args.output}\n")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.cli.common import load_case_files

    documents, malformed = load_case_files(args.files, err)
    # Everything the input alone decides is checked before the database is opened (signing in
    # is audited), so a refused file leaves the study file byte-identical.
    today = dt.datetime.now().astimezone().date()
    seen: set[str] = set()
    for path, (found, many) in documents:
        for k, course in enumerate(found):
            label = f"{path}: case {k + 1 if many else ''} ({course.subject_id})".replace("case  (", "case (")
            for field, day in future_dates(course, today)[:1]:
                err.write(f"error: {label}: field '{field}': {day} is in the future (today is {today})\n")
                malformed = True
            if course.subject_id in seen:
                err.write(f"error: {label}: field 'subject_id': the subject appears twice in the import\n")
                malformed = True
            seen.add(course.subject_id)
    if malformed:
        err.write("error: nothing was imported\n")
        return EXIT_MALFORMED
    courses = [c for _, (found, _) in documents for c in found]
    with open_store(args, err) as store:
        actor = login(store, args)
        study = pick_study(store, args.study)
        names = ", ".join(p.name for p in args.files)
        count = store.import_cases(actor, study.id or 0, courses, reason=f"import from {names}")
    out.write(f"imported {count} subject(s) into {study.protocol_id}\n")
    return EXIT_OK


def cmd_import_roster(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.csvimport import read_roster_csv
    from core.store.store import ImportReport, RejectedRow, import_roster_csv

    # The whole file is checked before the database is opened (signing in is audited), so a
    # refused roster leaves the study file byte-identical; the store checks it again, with
    # the subjects it already holds.
    try:
        _, rejected = read_roster_csv(args.file, dt.datetime.now().astimezone().date())
    except InputError as exc:
        raise InputError(f"{args.file}: {exc.field}", exc.message) from None
    report = ImportReport(0, tuple(RejectedRow(*r) for r in rejected))
    if report.ok:
        with open_store(args, err) as store:
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
    with open_store(args, err) as store:
        login(store, args, "study.read")
        study = pick_study(store, args.study)
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


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export subjects as case files (JSON array) or as a roster CSV",
        description="Export subjects as case files (a JSON array), or with --format csv as a roster CSV "
        "(the columns import-roster reads; cells a spreadsheet would run as formulas are prefixed with ').",
    )
    db_arg(p)
    user_arg(p)
    p.add_argument("--format", choices=["json", "csv"], default="json", help="json (default) or csv")
    p.add_argument("-o", "--output", type=output_file, metavar="FILE", help="write to FILE (default: stdout)")
    p.add_argument(
        "--study", type=text_arg, metavar="PROTOCOL", help="study (needed when the database holds several)"
    )
    p.add_argument("--subject", type=text_arg, metavar="ID", help="only this subject")
    p.set_defaults(handler=guard(cmd_export))

    p = sub.add_parser("import", help="import case files (all or nothing)")
    db_arg(p)
    user_arg(p)
    p.add_argument("--study", type=text_arg, metavar="PROTOCOL")
    p.add_argument("files", nargs="+", type=path_arg, metavar="FILE")
    p.set_defaults(handler=guard(cmd_import))

    p = sub.add_parser("import-roster", help="import a roster CSV (every row checked first; all or nothing)")
    db_arg(p)
    user_arg(p)
    p.add_argument("--study", type=text_arg, metavar="PROTOCOL")
    p.add_argument("file", type=input_file, metavar="FILE.csv")
    p.set_defaults(handler=guard(cmd_import_roster))
