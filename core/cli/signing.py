"""``worksheet`` and ``site-cert``: eligibility worksheets and the site certificate (``verify``: keys.py)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from core.cli.common import (
    EXIT_OK,
    PASSWORDS,
    date_arg,
    db_arg,
    guard,
    login,
    open_store,
    output_file,
    pick_study,
    text_arg,
)
from core.errors import InputError


def cmd_worksheet(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.worksheets import prepare_worksheet, sign_worksheet
    from core.worksheet.document import DEFAULT_MEANING

    if not args.user and not args.sign_as:
        raise InputError("--user", "name who prepares the worksheet (or --sign-as, the investigator)")
    with open_store(args, err) as store:
        preparer = login(store, args, "worksheet.prepare") if args.user else None
        signer = None
        if args.sign_as:
            password = PASSWORDS.read(f"Password for {args.sign_as} (to sign): ")
            signer = store.authorize(store.authenticate(args.sign_as, password), "worksheet.sign")
        study = pick_study(store, args.study)
        pk = store.subject_pk(study.id or 0, args.subject)
        as_of = args.as_of or store.today()
        worksheet_id, pdf = prepare_worksheet(store, preparer or signer, pk, as_of)
        if signer is not None:
            pdf = sign_worksheet(store, signer, worksheet_id, password, args.meaning or DEFAULT_MEANING)
    args.output.write_bytes(pdf)
    state = f"signed by {signer.full_name}" if signer else "draft (not signed)"
    out.write(f"wrote {args.output}: worksheet for {args.subject}, {state}\n")
    return EXIT_OK


def cmd_site_cert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import site_certificate_pem
    from core.worksheet.pki import fingerprint

    with open_store(args, err) as store:
        pem = site_certificate_pem(store)
    args.output.write_text(pem, encoding="ascii")
    out.write(f"wrote {args.output}: site certificate, SHA-256 fingerprint {fingerprint(pem)}\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "worksheet",
        help="write a subject's eligibility worksheet (PDF): a draft, or signed with --sign-as",
        description="Prepare a subject's eligibility worksheet. Without --sign-as it is a DRAFT; with "
        "--sign-as USERID the investigator's password is read from standard input and the PDF is signed.",
    )
    db_arg(p)
    p.add_argument("--study", type=text_arg, metavar="PROTOCOL")
    p.add_argument("--subject", required=True, type=text_arg, metavar="ID")
    p.add_argument("-o", "--output", required=True, type=output_file, metavar="FILE.pdf")
    p.add_argument("--as-of", type=date_arg, metavar="DATE", help="classify as of this date (default: today)")
    p.add_argument(
        "--user", type=text_arg, metavar="ID", help="who prepares it (password first on standard input)"
    )
    p.add_argument(
        "--sign-as",
        type=text_arg,
        metavar="USERID",
        help="investigator who signs (password on standard input)",
    )
    p.add_argument(
        "--meaning", type=text_arg, help="meaning of the signature (default: reviewed and confirmed)"
    )
    p.set_defaults(handler=guard(cmd_worksheet))

    p = sub.add_parser("site-cert", help="export the site certificate (PEM) for monitors")
    db_arg(p)
    p.add_argument("-o", "--output", required=True, type=output_file, metavar="FILE.pem")
    p.set_defaults(handler=guard(cmd_site_cert))
