"""``audit verify`` and ``audit log``: the audit trail for inspectors."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from core.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    date_arg,
    db_arg,
    guard,
    int_arg,
    login,
    open_store,
    path_arg,
    user_arg,
)
from core.errors import InputError


def cmd_audit_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.anchors import parse_anchor

    anchors = [parse_anchor(text) for text in args.anchor]
    with open_store(args, err) as store:
        login(store, args, "audit.verify")
        report = store.verify_audit(anchors)
    (out if report.ok else err).write(report.describe() + "\n")
    return EXIT_OK if report.ok else EXIT_FAILURE


def cmd_audit_anchor(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        login(store, args, "audit.read")
        anchor = store.audit_anchor()
    out.write(f"{anchor.position}:{anchor.hash}\n")
    return EXIT_OK


def _filter(args: argparse.Namespace) -> Any:
    from core.store.audit import AuditFilter

    return AuditFilter(
        user=args.filter_user, entity=args.entity, subject=args.subject, since=args.since, until=args.until
    )


def cmd_audit_log(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        login(store, args, "audit.read")
        page = store.audit_page(_filter(args), page=args.page, page_size=args.limit)
    out.write(f"# {page.describe()}\n")
    for row in page.rows:
        out.write(row.line() + "\n")
    if page.page < page.pages:
        out.write(f"# older events: --page {page.page + 1}\n")
    return EXIT_OK


def cmd_audit_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.audit_export import write_csv, write_pdf

    if args.output.suffix.lower() not in (".csv", ".pdf"):
        raise InputError("--output", "name a .csv or a .pdf file")
    flt = _filter(args)
    with open_store(args, err) as store:
        actor = login(store, args, "audit.read")
        if args.output.suffix.lower() == ".csv":
            count = write_csv(store.audit_rows(flt), args.output)
        else:
            count = write_pdf(store, flt, args.output, generated_by=actor.full_name or actor.username)
        if not store.readonly:
            detail = f"{count} event(s) to {args.output.name}"
            store.log_event(
                actor, "export", entity="audit_event", detail=detail, reason=f"filters: {flt.describe()}"
            )
    out.write(f"wrote {args.output}: {count} event(s)\n")
    return EXIT_OK


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--filter-user", metavar="ID", help="only this user's events")
    p.add_argument("--entity", metavar="TABLE", help="only rows of this table")
    p.add_argument(
        "--subject",
        metavar="ID",
        help="everything that belongs to this subject (course, visits, lesions, worksheets)",
    )
    p.add_argument("--since", type=date_arg, metavar="DATE", help="from this day (UTC)")
    p.add_argument("--until", type=date_arg, metavar="DATE", help="to this day (UTC), included")


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="audit trail").add_subparsers(
        dest="audit_command", metavar="ACTION", required=True
    )
    p = audit.add_parser(
        "verify",
        help="check the file, the hash chain, replay the trail against every table, and check the anchors",
    )
    db_arg(p)
    user_arg(p)
    p.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="ROW:HASH|FILE",
        help="check the trail still extends this anchor (ROW:HASH from `audit anchor`, a backup file, "
        "a signed worksheet PDF, or an anchor JSON file); repeatable. Anchors this workstation "
        "remembers and those of the backups beside the file are always checked",
    )
    p.set_defaults(handler=guard(cmd_audit_verify))
    p = audit.add_parser("anchor", help="print the audit trail's head as ROW:HASH, to keep outside the file")
    db_arg(p)
    user_arg(p)
    p.set_defaults(handler=guard(cmd_audit_anchor))
    p = audit.add_parser(
        "log",
        help="show the audit trail a page at a time (page 1: the newest events), oldest first within a page",
    )
    db_arg(p)
    user_arg(p)
    _filter_args(p)
    p.add_argument(
        "--page", type=int_arg(1, 10**9), default=1, metavar="N", help="page N (1: the newest; default 1)"
    )
    p.add_argument(
        "--limit", type=int_arg(1, 1_000_000), default=200, metavar="N", help="events per page (default 200)"
    )
    p.set_defaults(handler=guard(cmd_audit_log))
    p = audit.add_parser(
        "export",
        help="export the audit trail (with the same filters) to CSV or to a PDF report for inspectors",
    )
    db_arg(p)
    user_arg(p)
    _filter_args(p)
    p.add_argument("-o", "--output", required=True, type=path_arg, metavar="FILE.csv|FILE.pdf")
    p.set_defaults(handler=guard(cmd_audit_export))
