"""The ``resistdesk`` command line (subcommands for scripting and monitors).

``main(argv, gui=...)`` runs a subcommand; with none it calls ``gui`` (the
desktop launcher passes the application), so the core never imports Qt.
Exit status: 0 success, 2 malformed input (the message names the file, the
case and the field), 1 any other failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from core import __version__
from core.bulk import bulk
from core.casefile import parse_date, parse_document, read_document
from core.errors import CaseFormatError, InputError
from core.rules import DEFAULT_RULESET, Course, RuleSet, classify, parse_override

EXIT_OK, EXIT_FAILURE, EXIT_MALFORMED = 0, 1, 2

GuiLauncher = Callable[[argparse.Namespace], int]


def date_arg(text: str) -> dt.date:
    """An argparse type for ``--as-of DATE`` (YYYY-MM-DD)."""
    try:
        return parse_date(text, "--as-of")
    except CaseFormatError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _dump(obj: Any, out: TextIO, compact: bool) -> None:
    if compact:
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        out.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _ruleset(overrides: Sequence[str]) -> RuleSet:
    pairs = dict(parse_override(text) for text in overrides)
    return DEFAULT_RULESET.with_overrides(pairs)


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


def cmd_classify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.db is not None:
        if args.files or args.param:
            err.write(
                "error: --db classifies stored subjects with the study's rules; give no FILE or --param\n"
            )
            return EXIT_MALFORMED
        from core.cli_store import _guard, cmd_classify_db

        return _guard(cmd_classify_db)(args, out, err)
    if not args.files:
        err.write("error: give case FILE(s), or --db to classify a study's stored subjects\n")
        return EXIT_MALFORMED
    try:
        ruleset = _ruleset(args.param)
    except InputError as exc:
        err.write(f"error: --param {exc}\n")
        return EXIT_MALFORMED
    as_of = args.as_of or dt.datetime.now().astimezone().date()  # local "today"
    with bulk():
        documents, malformed = load_case_files(args.files, err)
        for _, (courses, many) in documents:
            if args.text:
                from core.presentation import classification_text

                for c in courses:
                    out.write(classification_text(classify(c, as_of, ruleset)) + "\n\n")
                continue
            results = [classify(c, as_of, ruleset).to_json() for c in courses]
            _dump(results if many else results[0], out, args.compact)
    return EXIT_MALFORMED if malformed else EXIT_OK


def cmd_recist(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.rules.recist import RecistParameters, course_report

    if args.sd_min_days < 0:
        err.write("error: --sd-min-days must not be negative\n")
        return EXIT_MALFORMED
    params = RecistParameters(sd_min_days=args.sd_min_days, confirm_response=args.confirm_response)
    documents, malformed = load_case_files(args.files, err)
    for path, (courses, many) in documents:
        missing = [c.subject_id for c in courses if c.baseline is None]
        if missing:
            for sid in missing:
                err.write(f"error: {path}: case ({sid}): field 'baseline': is required for recist\n")
            malformed = True
            continue
        reports = [course_report(c, args.as_of, params) for c in courses]
        _dump(reports if many else reports[0], out, args.compact)
    return EXIT_MALFORMED if malformed else EXIT_OK


def build_parser(with_gui: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resistdesk",
        description=(
            "ResistDesk: SITC 2020 PD-(L)1 resistance classification for clinical-trial sites."
            + (" Without a subcommand, opens the desktop application." if with_gui else "")
        ),
    )
    parser.add_argument("--version", action="version", version=f"resistdesk {__version__}")
    if with_gui:
        parser.add_argument("--db", type=Path, help="study database to open (default: user data directory)")
        parser.add_argument(
            "--selftest",
            action="store_true",
            help="check this installation end to end, offscreen, in a temporary folder, and exit",
        )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "classify",
        help="classify case files (resistdesk-case/1) and print JSON",
        description="Classify case files under the SITC 2020 rules and print the "
        "classification JSON (one object per case; an array for an array input).",
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="case file(s) (JSON)")
    p.add_argument("--db", type=Path, metavar="PATH", help="classify the stored subjects of this database")
    p.add_argument("--study", metavar="PROTOCOL", help="with --db: the study")
    p.add_argument("--subject", metavar="ID", help="with --db: only this subject")
    p.add_argument(
        "--as-of", type=date_arg, metavar="DATE", help="date taken as today (YYYY-MM-DD; default: today)"
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a rule parameter, e.g. benefit_days=365 (repeatable)",
    )
    p.add_argument("--compact", action="store_true", help="one JSON document per line")
    p.add_argument(
        "--text",
        action="store_true",
        help="print each classification for people (labels, rule set version) instead of JSON",
    )
    p.set_defaults(handler=cmd_classify)

    p = sub.add_parser(
        "recist",
        help="compute RECIST 1.1 / iRECIST responses from lesion measurements",
        description="Compute timepoint responses from the lesion measurements in case files "
        "and print the arithmetic as JSON.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="case file(s) with a baseline")
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="ignore assessments after this date")
    p.add_argument(
        "--sd-min-days",
        type=int,
        default=42,
        metavar="DAYS",
        help="minimum time from first dose for SD to count as best response (default 42)",
    )
    p.add_argument(
        "--confirm-response",
        action="store_true",
        help="count CR/PR as best response only when confirmed at least 28 days later",
    )
    p.add_argument("--compact", action="store_true", help="one JSON document per line")
    p.set_defaults(handler=cmd_recist)

    from core.cli_store import register

    register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    gui: GuiLauncher | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser(with_gui=gui is not None)
    args = parser.parse_args(argv)
    if args.command is None:
        if gui is None:
            parser.print_help(out)
            return EXIT_OK
        return gui(args)
    code: int = args.handler(args, out, err)
    return code


if __name__ == "__main__":
    sys.exit(main())
