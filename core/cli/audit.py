"""``audit verify`` and ``audit log``: the audit trail for inspectors."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from core.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    db_arg,
    guard,
    int_arg,
    login,
    open_store,
    text_arg,
    user_arg,
)


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


def cmd_audit_log(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        login(store, args, "audit.read")
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
        "or an anchor JSON file); repeatable. Anchors this workstation remembers and those of the "
        "backups beside the file are always checked",
    )
    p.set_defaults(handler=guard(cmd_audit_verify))
    p = audit.add_parser("anchor", help="print the audit trail's head as ROW:HASH, to keep outside the file")
    db_arg(p)
    user_arg(p)
    p.set_defaults(handler=guard(cmd_audit_anchor))
    p = audit.add_parser("log", help="show the audit trail, oldest first")
    db_arg(p)
    user_arg(p)
    p.add_argument("--filter-user", type=text_arg, metavar="ID")
    p.add_argument("--entity", type=text_arg, metavar="TABLE")
    p.add_argument("--limit", type=int_arg(1, 1_000_000), default=200)
    p.set_defaults(handler=guard(cmd_audit_log))
