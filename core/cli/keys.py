"""``user passwd|reset|unlock``, ``ca`` and ``verify``: passwords, the site CA, verification.

``resistdesk user passwd|reset|unlock``, ``resistdesk ca init|issue|crl|status|tsa`` and
``resistdesk verify``. Secrets (passwords, the CA passphrase) are read from standard input,
prompted on a terminal, one per line otherwise, never from the command line.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from core.cli.common import (
    EXIT_OK,
    PASSWORDS,
    database_file,
    db_arg,
    guard,
    input_file,
    login,
    open_store,
    output_file,
    user_arg,
)
from core.errors import InputError


def cmd_user_passwd(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.user:
        raise InputError(
            "--user", "name your user id (current password, then the new one, on standard input)"
        )
    with open_store(args, err) as store:
        old = PASSWORDS.read(f"Current (or one-time) password for {args.user}: ")
        new = PASSWORDS.new(f"New password for {args.user}: ")
        store.change_password(args.user, old, new)
        from core.store.passwords import account_review
        from core.store.site_keys import own_key_id

        review = account_review(store, args.user)
        key = own_key_id(store, args.user)
    out.write(f"password of {args.user} changed; your signing key is sealed under it\n")
    if key:
        out.write(
            f"your signing key: {key} (the CA custodian checks it with you, in "
            "person, before certifying a new key)\n"
        )
    if review:
        out.write(review + "\n")
    return EXIT_OK


def cmd_user_reset(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        actor = login(store, args)
        temporary = store.reset_password(actor, args.username, args.reason)
    out.write(
        f"one-time password for {args.username}: {temporary}\n"
        f"{args.username} must choose a new password at the next sign-in; the old signing key is "
        "discarded and its certificate revoked (publish the CRL: resistdesk ca crl)\n"
    )
    return EXIT_OK


def cmd_user_unlock(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args, err) as store:
        actor = login(store, args)
        store.unlock_user(actor, args.username, args.reason)
    out.write(f"unlocked {args.username}\n")
    return EXIT_OK


def cmd_ca_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import create_site_ca

    with open_store(args, err) as store:
        actor = login(store, args)
        passphrase = PASSWORDS.new("New CA passphrase (kept by you, the custodian; never stored): ")
        fingerprint = create_site_ca(
            store, actor, passphrase, site=args.site or "", study=args.study or "", approved=()
        )
        waiting = _waiting_lines(store, actor.username)
    out.write(f"created the site CA; certificate SHA-256 fingerprint {fingerprint}\n" + waiting)
    return EXIT_OK


def _confirmations(values: list[str]) -> dict[str, str]:
    """``--confirm USER:KEY`` values as {user id: key id (lower-case hex)}."""
    confirmed: dict[str, str] = {}
    for value in values:
        user, _, key = value.partition(":")
        key = key.strip().lower()
        if not user.strip() or len(key) < 16 or any(c not in "0123456789abcdef" for c in key):
            raise InputError(
                "--confirm",
                f"{value!r}: give USER:KEY, KEY being the 16 hex digits `resistdesk ca status` shows "
                "for the person's waiting key (they read it when they chose their password)",
            )
        confirmed[user.strip()] = key
    return confirmed


def _waiting_lines(store: Any, me: str) -> str:
    """The keys still waiting, each with what the custodian must confirm and how."""
    from core.store.site_keys import certificate_queue

    lines = []
    for e in certificate_queue(store):
        if not e.pending:
            continue
        if e.username == me:
            lines.append(f"  {me}: your own key waits for another holder of the CA passphrase\n")
        else:
            lines.append(
                f"  {e.username} ({e.full_name}): key {e.key_id} waits"
                + (f": {e.reset}" if e.reset else "")
                + f"; confirm with {e.username} in person that their key is {e.key_id}, then "
                f"`resistdesk ca issue --confirm {e.username}:{e.key_id}`\n"
            )
    return "".join(lines)


def cmd_ca_issue(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import certificate_queue, issue_certificates

    confirmed = _confirmations(args.confirm or [])
    with open_store(args, err) as store:
        actor = login(store, args)
        queue = {e.username: e for e in certificate_queue(store) if e.pending}
        for user, key in confirmed.items():
            entry = queue.get(user)
            if entry is None:
                raise InputError("--confirm", f"{user} has no key waiting for a certificate")
            if not entry.key_sha256.startswith(key):
                raise InputError(
                    "--confirm",
                    f"{user}'s waiting key is {entry.key_id}, not {key[:16]}: the key changed since the "
                    "person showed it to you; nothing was certified",
                )
        # Only keys the custodian has confirmed, or that need no confirmation, and only as they
        # are now: a key that appears or changes after this list is not certified.
        approved = [e for e in queue.values() if not e.reset or e.username in confirmed]
        issued = issue_certificates(store, actor, PASSWORDS.read("CA passphrase: "), approved=approved)
        waiting = _waiting_lines(store, actor.username)
    out.write(
        (f"issued certificates to: {', '.join(issued)}\n" if issued else "no certificate was issued\n")
        + "published the revocation list\n"
        + waiting
    )
    return EXIT_OK


def cmd_ca_crl(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import publish_crl, site_crl_pem

    with open_store(args, err) as store:
        if args.user:
            publish_crl(store, login(store, args), PASSWORDS.read("CA passphrase: "))
            out.write("published the revocation list\n")
        pem = site_crl_pem(store)
    if args.output:
        if pem is None:
            raise InputError("--output", "no revocation list has been published yet")
        args.output.write_text(pem, encoding="ascii")
        out.write(f"wrote {args.output}\n")
    return EXIT_OK


def cmd_ca_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import (
        certificate_queue,
        crl_outdated,
        has_site_ca,
        site_certificate_pem,
        tsa_url,
    )
    from core.worksheet.pki import fingerprint

    with open_store(args, err) as store:
        if not has_site_ca(store):
            out.write(
                "no site CA yet: its custodian (an investigator or coordinator, not an administrator) "
                "creates it with `resistdesk ca init --user ID`\n"
            )
            return EXIT_OK
        pem = site_certificate_pem(store)
        queue = certificate_queue(store)
        pending = [e.username for e in queue if e.pending]
        outdated = crl_outdated(store)
        url = tsa_url(store)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pem.encode())
    out.write(
        f"site CA: {cert.subject.rfc4514_string()}\nfingerprint (SHA-256): {fingerprint(pem)}\n"
        f"certificates awaiting the CA passphrase: {', '.join(pending) or 'none'}\n"
        + "".join(
            f"  {e.username} ({e.full_name}): {e.state}"
            + (f" (key {e.key_id})" if e.key_id else "")
            + (f"; {e.reset}: confirm with them in person" if e.reset else "")
            + "\n"
            for e in queue
        )
        + "revocation list: "
        + ("revocations recorded but not yet published (resistdesk ca crl)" if outdated else "current")
        + "\n"
        f"time-stamping service: {url or 'none (signing time is the workstation clock)'}\n"
    )
    return EXIT_OK


def cmd_ca_tsa(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.store.site_keys import set_tsa_url

    with open_store(args, err) as store:
        set_tsa_url(store, login(store, args), args.url)
    out.write(f"time-stamping service: {args.url or 'none'}\n")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from core.worksheet.pdfsign import verify_pdf

    if (args.trust is None) == (args.db is None):
        raise InputError(
            "--trust", "give the site certificate (--trust FILE.pem) or the database (--db PATH)"
        )
    crl = None
    recorded = None
    record = None
    if args.crl is not None:
        try:
            crl = args.crl.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("--crl", f"cannot read {args.crl}: {exc}") from None
    if args.trust is not None:
        try:
            trust = args.trust.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("--trust", f"cannot read {args.trust}: {exc}") from None
    else:
        from core.store.site_keys import recorded_before, site_certificate_pem, site_crl_pem, site_record

        store = open_store(args, err)
        trust = site_certificate_pem(store)
        crl = crl or site_crl_pem(store)

        def recorded(document_id: str, moment: Any) -> bool:
            return recorded_before(store, document_id, moment)

        def record(document_id: str, case_sha256: str) -> tuple[bool, str]:
            return site_record(store, document_id, case_sha256)

    try:
        pdf = args.file.read_bytes()
    except OSError as exc:
        raise InputError("FILE", f"cannot read {args.file}: {exc.strerror}") from None
    report = verify_pdf(pdf, trust, crl_pem=crl, recorded_before=recorded, site_record=record)
    if args.db is not None:
        from core.store.ca_pin import site_ca_problem

        problem = site_ca_problem(store)
        if problem is not None:
            report.add("site CA", False, problem)
        store.close()
    if args.json:
        out.write(
            json.dumps({"file": str(args.file), **report.to_json()}, ensure_ascii=False, indent=2) + "\n"
        )
    else:
        out.write(f"{args.file}\n{report.describe()}\n")
    return int(report.exit_code)


def register_user(user: Any) -> None:
    p = user.add_parser(
        "passwd",
        help="change your own password (also the one-time password after an account is created or reset)",
    )
    db_arg(p)
    p.add_argument(
        "--user", metavar="ID", help="your user id (current password, then the new one, on standard input)"
    )
    p.set_defaults(handler=guard(cmd_user_passwd))
    p = user.add_parser(
        "reset", help="administrators: a one-time password; the user's signing key is discarded"
    )
    db_arg(p)
    user_arg(p)
    p.add_argument("username", metavar="USER_ID")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=guard(cmd_user_reset))
    p = user.add_parser("unlock", help="administrators: unlock an account locked after failed attempts")
    db_arg(p)
    user_arg(p)
    p.add_argument("username", metavar="USER_ID")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=guard(cmd_user_unlock))


def register(sub: Any) -> None:
    ca = sub.add_parser(
        "ca",
        help="the site certificate authority (its custodian, never an administrator, with the CA passphrase)",
    )
    ca_sub = ca.add_subparsers(dest="ca_command", metavar="ACTION", required=True)
    p = ca_sub.add_parser("init", help="create the site CA under a new CA passphrase")
    db_arg(p)
    user_arg(p)
    p.add_argument("--site", help="site name in the CA's name (default: the study's)")
    p.add_argument("--study", help="study in the CA's name (default: the protocol id)")
    p.set_defaults(handler=guard(cmd_ca_init))
    p = ca_sub.add_parser(
        "issue",
        help="certify the investigators' waiting keys you confirmed with them, and publish the CRL",
    )
    db_arg(p)
    user_arg(p)
    p.add_argument(
        "--confirm",
        action="append",
        metavar="USER:KEY",
        help="a waiting key you confirmed with its owner in person (KEY: the 16 hex digits `ca status` "
        "shows, which they read when choosing their password); repeat for each",
    )
    p.set_defaults(handler=guard(cmd_ca_issue))
    p = ca_sub.add_parser("crl", help="publish the revocation list (with --user), or write it (-o)")
    db_arg(p)
    user_arg(p)
    p.add_argument(
        "-o", "--output", type=output_file, metavar="FILE.pem", help="write the current CRL for monitors"
    )
    p.set_defaults(handler=guard(cmd_ca_crl))
    p = ca_sub.add_parser("status", help="the CA's name and fingerprint, pending certificates, the CRL")
    db_arg(p)
    p.set_defaults(handler=guard(cmd_ca_status))
    p = ca_sub.add_parser(
        "tsa", help="set the RFC 3161 time-stamping service URL ('' for none; administrators)"
    )
    db_arg(p)
    user_arg(p)
    p.add_argument("url", metavar="URL")
    p.set_defaults(handler=guard(cmd_ca_tsa))

    p = sub.add_parser(
        "verify",
        help="verify a signed worksheet PDF (exit 0 verified, 1 not verified, 3 valid but classified "
        "differently today)",
        description="Check a worksheet's integrity, the chain to the site CA, revocation at the signing "
        "time, the signer's role, the printed name, the attached case and its re-classification under the "
        "rules it was signed with, and whether today's rules classify it differently.",
    )
    p.add_argument("file", type=input_file, metavar="FILE.pdf")
    p.add_argument("--trust", type=input_file, metavar="FILE.pem", help="the site certificate")
    p.add_argument(
        "--crl",
        type=input_file,
        metavar="FILE.pem",
        help="the site's current revocation list (needed with --trust unless the signature is time-stamped)",
    )
    p.add_argument(
        "--db",
        type=database_file,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="or take certificate, CRL and records from the database",
    )
    p.add_argument("--json", action="store_true", help="the same report as JSON")
    p.set_defaults(handler=guard(cmd_verify))
