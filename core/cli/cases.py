"""``classify`` and ``recist``: case files in, JSON out (``classify --db`` reads a study)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from typing import Any, TextIO

from core.bulk import bulk
from core.cli.common import (
    EXIT_MALFORMED,
    EXIT_OK,
    database_file,
    date_arg,
    dump,
    guard,
    int_arg,
    load_case_files,
    path_arg,
    text_arg,
)
from core.errors import InputError
from core.rules import (
    DEFAULT_ICI_CHEMO_RULESET,
    DEFAULT_RULESET,
    RuleSet,
    StudyRules,
    classify,
    parse_override,
)
from core.rules.ici_chemo_ruleset import parse_ici_chemo_override
from core.rules.ranges import check_ranges


def _ruleset(overrides: Sequence[str]) -> RuleSet:
    pairs = dict(parse_override(text) for text in overrides)
    check_ranges(pairs)
    return DEFAULT_RULESET.with_overrides(pairs)


def cmd_classify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.db is not None:
        if args.files or args.param or args.ici_chemo_param:
            err.write(
                "error: --db classifies stored subjects with the study's rules; give no FILE or --param\n"
            )
            return EXIT_MALFORMED
        from core.cli.data import cmd_classify_db

        return guard(cmd_classify_db)(args, out, err)
    if not args.files:
        err.write("error: give case FILE(s), or --db to classify a study's stored subjects\n")
        return EXIT_MALFORMED
    try:
        first = _ruleset(args.param)
    except InputError as exc:
        err.write(f"error: --param {exc}\n")
        return EXIT_MALFORMED
    try:
        second = DEFAULT_ICI_CHEMO_RULESET.with_overrides(
            dict(parse_ici_chemo_override(text) for text in args.ici_chemo_param)
        )
    except InputError as exc:
        err.write(f"error: --ici-chemo-param {exc}\n")
        return EXIT_MALFORMED
    ruleset = StudyRules(first, second)
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
            dump(results if many else results[0], out, args.compact)
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
        dump(reports if many else reports[0], out, args.compact)
    return EXIT_MALFORMED if malformed else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "classify",
        help="classify case files (resistdesk-case/1) and print JSON",
        description="Classify case files (SITC 2020 for monotherapy, SITC 2023 ICI-chemo for "
        "PD-(L)1 + chemotherapy) and print the "
        "classification JSON (one object per case; an array for an array input).",
    )
    p.add_argument("files", nargs="*", type=path_arg, metavar="FILE", help="case file(s) (JSON)")
    p.add_argument(
        "--db",
        type=database_file,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="classify the stored subjects of this database",
    )
    p.add_argument("--study", type=text_arg, metavar="PROTOCOL", help="with --db: the study")
    p.add_argument("--subject", type=text_arg, metavar="ID", help="with --db: only this subject")
    p.add_argument(
        "--user", type=text_arg, metavar="ID", help="with --db: who reads (password from standard input)"
    )
    p.add_argument(
        "--as-of", type=date_arg, metavar="DATE", help="date taken as today (YYYY-MM-DD; default: today)"
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a SITC-2020 rule parameter, e.g. benefit_days=365 (repeatable)",
    )
    p.add_argument(
        "--ici-chemo-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a SITC-2023-ICI-chemo parameter, e.g. min_exposure_days=56 (repeatable)",
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
    p.add_argument("files", nargs="+", type=path_arg, metavar="FILE", help="case file(s) with a baseline")
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="ignore assessments after this date")
    p.add_argument(
        "--sd-min-days",
        type=int_arg(0, 3650),
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
