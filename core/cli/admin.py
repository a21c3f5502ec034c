"""``init``, ``demo``, ``user`` and ``study``: setting up a database, its accounts and studies."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from core.cli.common import (
    EXIT_OK,
    PASSWORDS,
    db_arg,
    db_path,
    guard,
    login,
    open_store,
    text_arg,
    user_arg,
)
from core.cli.keys import register_user
from core.dbfile import check_database_arg
from core.errors import InputError
from core.store.users import Role


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.firstrun import Custodian, create_first_accounts
    from core.store.store import Store

    db = db_path(args)
    check_database_arg(db)
    if not args.custodian or not args.custodian_name:
        # A database without a site CA lets the first non-administrator account to run `ca init`
        # hold it: an administrator could create an account of their own and be its custodian.
        raise InputError(
            "--custodian",
            "name the site CA's custodian (--custodian ID --custodian-name NAME): another person than "
            "the administrator, an investigator or coordinator, who types their own password and the CA "
            "passphrase now; a study database is not created without its CA",
        )
    with Store.open(db) as store:
        if store.has_users():
            raise InputError("--db", f"{db} already has user accounts")
        password = PASSWORDS.new(f"Password for the administrator {args.admin}: ")
        custodian = Custodian(
            args.custodian,
            args.custodian_name,
            PASSWORDS.new(f"Password for the CA custodian {args.custodian} (typed by them): "),
            PASSWORDS.new("CA passphrase (kept by the custodian, never by an administrator; never stored): "),
            Role(args.custodian_role),
        )
        create_first_accounts(
            store, username=args.admin, full_name=args.name, password=password, custodian=custodian,
            site=args.site or "", study=args.study or "",
        )  # fmt: skip
        from core.store.site_keys import has_site_ca, site_certificate_pem
        from core.worksheet.pki import fingerprint

        ca = f"site CA fingerprint {fingerprint(site_certificate_pem(store))}" if has_site_ca(store) else ""
    out.write(f"created {db} with administrator {args.admin} and CA custodian {custodian.username}; {ca}\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.demo import DEMO_USERS, create_demo

    db = db_path(args)
    check_database_arg(db)
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
    with open_store(args, err) as store:
        actor = login(store, args)
        password = PASSWORDS.new(f"Password for the new user {args.username}: ")
        store.create_user(actor, args.username, args.name, args.role, password)
    out.write(f"created user {args.username} ({args.role})\n")
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        login(store, args, "user.list")
        for u in store.users():
            state = "active" if u.active else "disabled"
            out.write(f"{u.username}\t{u.role}\t{state}\t{u.full_name}\n")
    return EXIT_OK


def cmd_study_add(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        actor = login(store, args)
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
            ici_chemo_overrides=dict(_parse_chemo_param(p) for p in args.ici_chemo_param),
            enrolled_regimens=args.enrolls_regimen,
        )
    out.write(f"created study {args.protocol}\n")
    return EXIT_OK


def _parse_chemo_param(text: str) -> tuple[str, int]:
    from core.rules.ici_chemo_ruleset import parse_ici_chemo_override

    return parse_ici_chemo_override(text)


def _parse_param(text: str) -> tuple[str, Any]:
    from core.rules import parse_override

    return parse_override(text)


def cmd_study_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        login(store, args, "study.read")
        for s in store.studies():
            out.write(f"{s.protocol_id}\t{s.criteria}\t{'demo' if s.is_demo else ''}\t{s.title}\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a new database with its first administrator")
    db_arg(p)
    p.add_argument("--admin", required=True, type=text_arg, metavar="ID", help="user id of the administrator")
    p.add_argument("--name", required=True, type=text_arg, help="printed name of the administrator")
    p.add_argument(
        "--custodian", type=text_arg, metavar="ID",
        help="user id of the site CA's custodian: another person (investigator or coordinator), "
        "who types their own password and the CA passphrase",
    )  # fmt: skip
    p.add_argument("--custodian-name", type=text_arg, help="printed name of the custodian")
    p.add_argument(
        "--custodian-role", choices=("investigator", "coordinator"), default="investigator",
        help="the custodian's role (default investigator)",
    )  # fmt: skip
    p.add_argument("--site", type=text_arg, help="site name, in the site CA's name")
    p.add_argument("--study", type=text_arg, help="study (protocol id), in the site CA's name")
    p.set_defaults(handler=guard(cmd_init))

    p = sub.add_parser("demo", help="create a database holding the demo study (about 30 subjects)")
    db_arg(p)
    p.set_defaults(handler=guard(cmd_demo))

    user = sub.add_parser("user", help="user accounts").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    p = user.add_parser("add", help="add a user (administrators); reads your password, then the new one")
    db_arg(p)
    user_arg(p)
    p.add_argument("username", type=text_arg, metavar="NEW_ID")
    p.add_argument("--name", required=True, type=text_arg, help="printed name (appears on signatures)")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.set_defaults(handler=guard(cmd_user_add))
    p = user.add_parser("list", help="list user accounts")
    db_arg(p)
    user_arg(p)
    p.set_defaults(handler=guard(cmd_user_list))
    register_user(user)

    study = sub.add_parser("study", help="studies").add_subparsers(
        dest="study_command", metavar="ACTION", required=True
    )
    p = study.add_parser("add", help="add a study")
    db_arg(p)
    user_arg(p)
    p.add_argument("--protocol", required=True, type=text_arg, help="protocol id")
    p.add_argument("--title", required=True, type=text_arg)
    p.add_argument("--sponsor", default="", type=text_arg)
    p.add_argument("--site", default="", type=text_arg)
    p.add_argument("--criteria", default="RECIST 1.1", choices=["RECIST 1.1", "iRECIST"])
    p.add_argument(
        "--enrolls",
        action="append",
        default=[],
        metavar="CATEGORY",
        help="a category the protocol enrolls (repeatable)",
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="SITC-2020 parameter override"
    )
    p.add_argument(
        "--ici-chemo-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="SITC-2023-ICI-chemo parameter override, e.g. min_exposure_days=56",
    )
    p.add_argument(
        "--enrolls-regimen",
        action="append",
        default=[],
        choices=["monotherapy", "ici_chemotherapy"],
        help="a regimen the protocol enrolls (repeatable)",
    )
    p.set_defaults(handler=guard(cmd_study_add))
    p = study.add_parser("list", help="list studies")
    db_arg(p)
    user_arg(p)
    p.set_defaults(handler=guard(cmd_study_list))
