"""The site certificate authority, certificates and the CRL, in the study database.

Separation of duties: the CA key is sealed under a CA passphrase that is
never stored, and the CA is run by its *custodian*, an active account that is
NOT an administrator (an investigator or coordinator, typically the principal
investigator or the quality lead), who types the passphrase to create the CA,
to certify keys the users generated themselves at their own password choice,
and to publish the revocation list. Administrators manage accounts (create,
reset, disable) and never run the CA, so no one acting as administrator can
certify a key; and no custodian certifies their own key (after the CA's
creation), so a custodian's new key needs a second holder of the passphrase.
Revocations are recorded at once (disabling an account, a role change away
from investigator, a password reset); the signed CRL follows at the next CA
action. See the README's security section.

Kept apart from the worksheet code so that opening a database needs only
``cryptography``, not the PDF stack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, col, select

from core.errors import InputError
from core.store import models as m
from core.store.ca_pin import CA_CERT_KEY, pin_site_ca
from core.store.ca_pin import meta_value as _meta
from core.store.errors import AuthError, NotFoundError
from core.store.users import Role, check_password_policy, same_printed_name
from core.worksheet import pki

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from core.store.base import Actor
    from core.store.base import Tx as _Tx
    from core.store.store import Store

CERTIFIED_REASON = "certificate issued by the site CA"  # the audit reason of a certificate issued
CA_SEALED_KEY = "site_ca_sealed_key"
CRL_KEY = "site_ca_crl"
RETIRED_CA_KEY = "retired_site_ca_certificate"
TSA_URL_KEY = "tsa_url"
NO_CA = (
    "this database has no site certificate authority yet: its custodian (an investigator or "
    "coordinator, not an administrator) creates it (`resistdesk ca init`, or Tools > Site "
    "certificate authority)"
)
NOT_FOR_ADMINISTRATORS = (
    "only the CA's custodian (an investigator or coordinator who holds the CA passphrase) can run "
    "the site certificate authority, never an administrator: whoever can reset passwords must not "
    "also certify keys"
)


def _set_meta(tx: _Tx, key: str, value: str) -> None:
    row = tx.session.get(m.Meta, key)
    if row is None:
        tx.session.add(m.Meta(key=key, value=value))
    else:
        row.value = value
        tx.session.add(row)
    tx.session.flush()


def has_site_ca(store: Store) -> bool:
    return _meta(store, CA_CERT_KEY) is not None


def site_certificate_pem(store: Store) -> str:
    pem = _meta(store, CA_CERT_KEY)
    if pem is None:
        raise NotFoundError(NO_CA)
    return pem


def site_crl_pem(store: Store) -> str | None:
    return _meta(store, CRL_KEY)


def retired_certificate_pem(store: Store) -> str | None:
    return _meta(store, RETIRED_CA_KEY)


def tsa_url(store: Store) -> str:
    return _meta(store, TSA_URL_KEY) or ""


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMINISTRATOR:
        raise AuthError("only an administrator can set the time-stamping service")


def _custodian(actor: Actor) -> None:
    if actor.role is Role.ADMINISTRATOR:
        raise AuthError(NOT_FOR_ADMINISTRATORS)


def _open_ca(store: Store, actor: Actor, passphrase: str) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The CA certificate and key; a wrong passphrase counts as a failed attempt on the account."""
    from core.store.passwords import record_failure

    with store.reading() as s:
        cert, sealed = s.get(m.Meta, CA_CERT_KEY), s.get(m.Meta, CA_SEALED_KEY)
        user = s.exec(select(m.UserAccount).where(m.UserAccount.username == actor.username)).first()
    if cert is None or sealed is None:
        raise NotFoundError(NO_CA)
    if user is None or not user.active:
        raise AuthError("only an active account can run the site certificate authority")
    if user.role == Role.ADMINISTRATOR.value:
        raise AuthError(NOT_FOR_ADMINISTRATORS)
    if user.locked_until is not None and _aware(user.locked_until) > store.now():
        raise AuthError(f"account locked until {_aware(user.locked_until).astimezone():%H:%M}")
    try:
        key = pki.open_site_ca(pki.SiteCA(cert.value, sealed.value), passphrase)
    except InputError:
        message = record_failure(store, actor.username, "wrong CA passphrase")
        raise InputError("ca_passphrase", f"wrong CA passphrase{message}") from None
    return cert.value, key


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def create_site_ca(
    store: Store,
    actor: Actor,
    passphrase: str,
    *,
    site: str = "",
    study: str = "",
    same_as_password: bool = False,
    approved: Iterable[QueueEntry] = (),
) -> str:
    """Create the site CA under ``passphrase``; issue the pending certificates. Returns its fingerprint.

    Only a non-administrator (the custodian) creates it. The passphrase must differ from the
    custodian's own password and from every administrator's password (else a password alone
    would issue certificates); only the demo study (``same_as_password``) shares one secret.
    ``approved``: as for ``issue_certificates``; by default none (the custodian certifies the
    others' keys with ``ca issue`` or the CA dialog, after confirming them)."""
    _custodian(actor)
    if has_site_ca(store):
        raise InputError("ca_passphrase", "this database already has a site certificate authority")
    _refuse_replacement(store)
    if not same_as_password:
        check_ca_passphrase(store, actor.username, passphrase)
    if not site or not study:
        studies = store.studies()
        site = site or (studies[0].site if studies else "")
        study = study or (studies[0].protocol_id if studies else "")
    ca = pki.create_site_ca(site, study, passphrase, store.now())
    with store.writing(actor, "ca.manage") as tx:
        if tx.session.get(m.Meta, CA_CERT_KEY) is not None:
            raise InputError("ca_passphrase", "this database already has a site certificate authority")
        earlier = _earlier_ca(tx.session)
        if earlier is not None:
            raise InputError("ca_passphrase", _REPLACED.format(*earlier))
        own = tx.session.exec(select(m.UserAccount).where(m.UserAccount.username == actor.username)).first()
        if own is None or not own.active:
            raise AuthError("only an active account can run the site certificate authority")
        record_site_ca(tx, ca, actor.username)
    # the custodian's new CA is this study's from now on (a pin of the retired v1 CA, the only
    # one a first CA may follow, is replaced; any other refused the creation above)
    pin_site_ca(store, force=True)
    # the creation is the one self-certification; others' keys as for issue_certificates
    _issue(store, actor, passphrase, include_own=True, approved=approved)
    return pki.fingerprint(ca.certificate_pem)


_REPLACED = (
    "this study's site CA was created on {0} (SHA-256 {1}…) and is no longer in the file: it was "
    "removed outside ResistDesk. A site CA is never replaced from within the program (whoever "
    "removed it, with an account of their own, would hold the new one): restore a backup that "
    "holds it"
)


def _earlier_ca(session: Session) -> tuple[str, str] | None:
    """(date, fingerprint) of a site CA this study had before (the trail records its creation)."""
    row = session.exec(
        select(m.AuditEvent).where(m.AuditEvent.action == "site_ca_created").order_by(col(m.AuditEvent.id))
    ).first()
    return None if row is None else (row.at_utc[:10], (row.new_value or "")[:16])


def _refuse_replacement(store: Store) -> None:
    """A CA is created once per study file: refused when the trail records an earlier one, or
    when this workstation recorded another CA for the study (other than the retired v1 CA,
    which revision 0006 removed from the file on purpose). With write access to the file,
    deleting the CA and creating a new one from an account of one's own would otherwise give
    whoever can reset passwords a CA of their own, trusted by this workstation."""
    with store.reading() as s:
        earlier = _earlier_ca(s)
    if earlier is not None:
        raise InputError("ca_passphrase", _REPLACED.format(*earlier))
    book, file_id = store.anchor_book, store.study_file_id
    pinned = book.site_ca(file_id) if book is not None and file_id is not None else None
    if pinned is None:
        return
    retired = retired_certificate_pem(store)
    with contextlib.suppress(ValueError):
        if retired is not None and pki.fingerprint(retired) == pinned[0]:
            return
    raise InputError("ca_passphrase", _REPLACED.format(pinned[1][:10], pinned[0][:16]))


def record_site_ca(tx: _Tx, ca: pki.SiteCA, custodian: str) -> None:
    """Store a new site CA (certificate, sealed key) and the audit row that names its custodian
    (the record ``_earlier_ca`` and the custodian notices read back)."""
    _set_meta(tx, CA_CERT_KEY, ca.certificate_pem)
    _set_meta(tx, CA_SEALED_KEY, ca.sealed_key)
    tx.log(
        "site_ca_created",
        new=pki.fingerprint(ca.certificate_pem),
        reason=f"site CA under a passphrase; custodian {custodian}",
    )


def check_ca_passphrase(store: Store, username: str, passphrase: str) -> None:
    """A new CA passphrase: the password rules, and no account's own password (InputError otherwise).

    Checked against the custodian's own password and every administrator's: were it one of
    them, that password alone would run the CA."""
    from core.store.users import verify_password

    try:
        check_password_policy(passphrase, username)
    except InputError as exc:
        raise InputError("ca_passphrase", exc.message) from None
    with store.reading() as s:
        accounts = list(s.exec(select(m.UserAccount)))
    for user in accounts:
        if user.username != username and user.role != Role.ADMINISTRATOR.value:
            continue
        if verify_password(passphrase, user.password_hash):
            whose = "your own password" if user.username == username else "an administrator's password"
            raise InputError("ca_passphrase", f"must differ from {whose}")


def _needs_certificate(user: m.UserAccount) -> bool:
    if not user.active or user.role != Role.INVESTIGATOR.value or user.public_key_pem is None:
        return False
    if user.certificate_pem is None:
        return True
    return not certificate_matches(user, user.certificate_pem)


def certificate_matches(user: m.UserAccount, certificate_pem: str) -> bool:
    """Does the certificate name this user as they are now (name, id, role, key)?"""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    subject = {a.oid: a.value for a in cert.subject}
    public = cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return (
        subject.get(x509.NameOID.COMMON_NAME) == user.full_name
        and subject.get(x509.NameOID.USER_ID) == user.username
        and subject.get(x509.NameOID.TITLE) == user.role
        and user.public_key_pem is not None
        and public.decode() == user.public_key_pem
    )


def crl_outdated(store: Store) -> bool:
    """A revocation is recorded that the published CRL does not hold yet."""
    crl_pem = site_crl_pem(store)
    with store.reading() as s:
        revoked = list(s.exec(select(m.Certificate).where(col(m.Certificate.revoked_at).is_not(None))))
    if not revoked:
        return False
    if crl_pem is None:
        return True
    crl = x509.load_pem_x509_crl(crl_pem.encode())
    return any(crl.get_revoked_certificate_by_serial_number(int(c.serial, 16)) is None for c in revoked)


@dataclass(frozen=True)
class QueueEntry:
    """An investigator without a current certificate, as the custodian is shown them."""

    username: str
    full_name: str
    state: str  # "key awaiting a certificate" | "waiting for the first sign-in"
    # Why the custodian must confirm with the person, in words ("" if nothing to confirm): a
    # password reset, a new account's one-time password, a role change, a key or name changed
    # outside ResistDesk, a printed name shared with another account.
    reset: str
    key_sha256: str = ""  # the SHA-256 of the public key waiting (what certifying it binds to)

    @property
    def pending(self) -> bool:
        return self.state == KEY_PENDING

    @property
    def key_id(self) -> str:
        """The key's short fingerprint, as `ca status` shows it and `user passwd` tells its owner."""
        return self.key_sha256[:KEY_ID_DIGITS]


KEY_PENDING = "key awaiting a certificate"
FIRST_SIGN_IN = "waiting for the investigator to choose a password (first sign-in)"


KEY_ID_DIGITS = 16


def own_key_id(store: Store, username: str) -> str | None:
    """The short fingerprint of ``username``'s current key (what the custodian checks with them)."""
    key = next((u.public_key_pem for u in store.users() if u.username == username), None)
    return key_fingerprint(key)[:KEY_ID_DIGITS] if key else None


def key_fingerprint(public_key_pem: str) -> str:
    """SHA-256 (hex) of a public key's SubjectPublicKeyInfo."""
    import hashlib

    key = serialization.load_pem_public_key(public_key_pem.encode())
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def certificate_queue(store: Store) -> list[QueueEntry]:
    """Every active investigator without a current certificate, and why the custodian must
    confirm with the person before certifying: every key but the first run's follows a password
    an administrator handed over (a new account's or a reset's), so whoever set it could have
    chosen the key in the person's place; and a key or name changed outside ResistDesk, or a
    printed name another account also has, is named."""
    out: list[QueueEntry] = []
    users = store.users()
    for user in users:
        if not user.active or user.role != Role.INVESTIGATOR.value:
            continue
        if user.certificate_pem is not None and certificate_matches(user, user.certificate_pem):
            continue
        state = KEY_PENDING if user.public_key_pem is not None else FIRST_SIGN_IN
        key = key_fingerprint(user.public_key_pem) if user.public_key_pem is not None else ""
        out.append(QueueEntry(user.username, user.full_name, state, _caution(store, user, users), key))
    return out


def _caution(store: Store, user: m.UserAccount, users: list[m.UserAccount]) -> str:
    """Why the custodian must confirm ``user``'s waiting key with them in person, in words."""
    from core.store.passwords import is_certified, is_reset, reset_reason

    with store.reading() as s:
        rows = s.exec(
            select(m.AuditEvent)
            .where(m.AuditEvent.entity == "user_account", m.AuditEvent.entity_id == user.id)
            .order_by(col(m.AuditEvent.id).desc())
        ).all()
    reset = role = created = new_key = None
    certified = False
    for row in rows:  # newest first, back to the last certificate issued
        if is_certified(row):
            certified = True
            break
        by_other = row.user != user.username
        if reset is None and is_reset(row, user.username):
            reset = row
        elif role is None and row.field == "role":  # also an administrator's own account
            role = row
        elif created is None and by_other and row.action == "insert":
            created = row
        elif new_key is None and not by_other and row.field == "public_key_pem":
            new_key = row
    reasons: list[str] = []
    if reset is not None:
        why = reset_reason(reset)
        when = f"password reset by {reset.user} on {reset.at_utc[:10]}"
        reasons.append(when + (f" ({why})" if why else ""))
    elif role is not None:
        who = "the account itself" if role.user == user.username else role.user
        reasons.append(f"role changed to {role.new_value} by {who} on {role.at_utc[:10]}")
    elif created is not None:
        reasons.append(
            f"new account created by {created.user} on {created.at_utc[:10]} with a one-time password"
        )
    elif new_key is not None:
        reasons.append(f"a new key made at a password change on {new_key.at_utc[:10]}")
    elif user.public_key_pem is not None:
        reasons.append(
            "the key or the printed name changed outside ResistDesk (no audit row explains it)"
            if certified
            else "no audit row tells where this key came from"
        )
    twins = [u.username for u in users if u.id != user.id and same_printed_name(u.full_name, user.full_name)]
    if twins:
        reasons.append(f"the printed name is also account {', '.join(twins)}'s")
    return "; ".join(reasons)


def issue_certificates(
    store: Store, actor: Actor, passphrase: str, *, approved: Iterable[QueueEntry]
) -> list[str]:
    """Certify investigators' waiting keys, except the custodian's own, and publish the CRL.

    ``approved``: the queue entries the custodian saw (and, where flagged, confirmed with the
    person): only those keys are certified, and only if each is still the key and the printed
    name shown (a key that appeared or changed since, or a renamed account, is left waiting).
    There is no "every waiting key": a caller names what the custodian approved.
    The custodian's own new key (after a reset of their password) waits for another holder of
    the CA passphrase: nobody certifies their own key."""
    return _issue(store, actor, passphrase, include_own=False, approved=approved)


def _issue(
    store: Store,
    actor: Actor,
    passphrase: str,
    *,
    include_own: bool,
    approved: Iterable[QueueEntry],
) -> list[str]:
    _custodian(actor)
    ca_pem, ca_key = _open_ca(store, actor, passphrase)
    shown = {(e.username, e.full_name, e.key_sha256) for e in approved if e.key_sha256}
    now = store.now()
    issued: list[str] = []
    with store.writing(actor, "ca.manage") as tx:
        for user in tx.session.exec(select(m.UserAccount)).all():
            if not _needs_certificate(user):
                continue
            own = user.username == actor.username
            if own and not include_own:
                continue
            assert user.public_key_pem is not None
            seen = (user.username, user.full_name, key_fingerprint(user.public_key_pem))
            if not own and seen not in shown:
                continue  # not the key the custodian was shown
            certify(tx, user, ca_pem, ca_key, now)
            issued.append(user.username)
        _publish(tx, ca_pem, ca_key, now)
    return issued


def certify(
    tx: _Tx, user: m.UserAccount, ca_pem: str, ca_key: ec.EllipticCurvePrivateKey, now: dt.datetime
) -> None:
    """Issue ``user``'s certificate for their public key, superseding any earlier one."""
    assert user.public_key_pem is not None
    assert user.id is not None
    revoke_certificates(tx, user, "superseded by a new certificate", now)
    pem = pki.issue_certificate(
        ca_pem, ca_key, user.public_key_pem,
        username=user.username, full_name=user.full_name, role=user.role, now=now,
    )  # fmt: skip
    serial = format(pki.certificate_serial(pem), "x")
    tx.insert(
        m.Certificate(user_id=user.id, serial=serial, certificate_pem=pem, issued_at=now),
        reason=f"certificate issued to {user.username}",
    )
    tx.update(user, {"certificate_pem": pem}, reason=CERTIFIED_REASON)


def publish_crl(store: Store, actor: Actor, passphrase: str) -> None:
    _custodian(actor)
    ca_pem, ca_key = _open_ca(store, actor, passphrase)
    with store.writing(actor, "ca.manage") as tx:
        _publish(tx, ca_pem, ca_key, store.now())


def _publish(tx: _Tx, ca_pem: str, ca_key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> None:
    revoked = [
        pki.Revoked(int(c.serial, 16), _aware(c.revoked_at))
        for c in tx.session.exec(select(m.Certificate).where(col(m.Certificate.revoked_at).is_not(None)))
        if c.revoked_at is not None
    ]
    _set_meta(tx, CRL_KEY, pki.make_crl(ca_pem, ca_key, revoked, now))
    count = f"{len(revoked)} revoked certificate{'' if len(revoked) == 1 else 's'}"
    tx.log("crl_published", new=count, reason="certificate revocation list")


def revoke_certificates(tx: _Tx, user: m.UserAccount, reason: str, now: dt.datetime) -> int:
    """Record the revocation of every live certificate of ``user`` (no passphrase needed)."""
    count = 0
    for cert in tx.session.exec(
        select(m.Certificate).where(m.Certificate.user_id == user.id, col(m.Certificate.revoked_at).is_(None))
    ).all():
        tx.update(cert, {"revoked_at": now, "revocation_reason": reason}, reason=reason)
        count += 1
    if user.certificate_pem is not None:
        tx.update(user, {"certificate_pem": None}, reason=reason)
    return count


def certificate_revoked(store: Store, certificate_pem: str) -> dt.datetime | None:
    serial = format(pki.certificate_serial(certificate_pem), "x")
    with store.reading() as s:
        row = s.exec(select(m.Certificate).where(m.Certificate.serial == serial)).first()
    if row is None:
        return store.now()  # a certificate this site never recorded: treat as revoked
    return _aware(row.revoked_at) if row.revoked_at is not None else None


def recorded_before(store: Store, document_id: str, moment: dt.datetime) -> bool:
    """Did the site record the worksheet ``document_id`` as signed before ``moment``?"""
    with store.reading() as s:
        ws = s.exec(select(m.Worksheet).where(m.Worksheet.document_id == document_id)).first()
        if ws is None or ws.status != "signed":
            return False
        sig = s.exec(select(m.Signature).where(m.Signature.worksheet_id == ws.id)).first()
    return sig is not None and _aware(sig.signed_at) < moment


def set_tsa_url(store: Store, actor: Actor, url: str) -> None:
    _admin(actor)
    url = url.strip()
    if url and not url.startswith(("http://", "https://")):
        raise InputError("tsa_url", "must be an http:// or https:// address of an RFC 3161 service")
    with store.writing(actor, "site.tsa") as tx:
        _set_meta(tx, TSA_URL_KEY, url)
        tx.log("setting", field=TSA_URL_KEY, new=url, reason="time-stamping service")


def site_record(store: Store, document_id: str, case_sha256: str) -> tuple[bool, str]:
    """What the site's database says of a worksheet: signed here, and still current?"""
    from core.worksheet.document import case_sha256 as current_sha

    with store.reading() as s:
        ws = s.exec(select(m.Worksheet).where(m.Worksheet.document_id == document_id)).first()
    if ws is None:
        return False, f"this database has no worksheet {document_id or '(no document id)'}"
    if ws.status != "signed":
        return False, f"worksheet {document_id} is recorded here as an unsigned draft"
    if ws.case_sha256 != case_sha256:
        return False, f"worksheet {document_id} was recorded here with other case data"
    if current_sha(store.case(ws.subject_id)) != case_sha256:
        return False, (
            f"the subject's data changed after worksheet {document_id} was signed: it is superseded "
            "and must not be used as the current decision"
        )
    return True, f"worksheet {document_id} is recorded here as signed, and the subject's data is unchanged"


def ca_custodians(store: Store) -> list[tuple[str, str]]:
    """Who runs the site CA, as (user id, printed name), the most recent first: the active,
    non-administrator accounts that created it or published its revocation list (every
    certification publishes one). An investigator waiting for a certificate is told whom to ask."""
    with store.reading() as s:
        rows = s.exec(
            select(m.AuditEvent)
            .where(col(m.AuditEvent.action).in_(("site_ca_created", "crl_published")))
            .order_by(col(m.AuditEvent.id).desc())
        ).all()
    names: list[str] = []
    for row in rows:  # the first run logs under its administrator and names the custodian
        keeper = row.reason.rpartition("custodian ")[2] if row.action == "site_ca_created" else ""
        names.append(keeper.strip() or row.user)
    users = {u.username: u for u in store.users()}
    out: list[tuple[str, str]] = []
    for name in dict.fromkeys(names):
        user = users.get(name)
        if user is not None and user.active and user.role != Role.ADMINISTRATOR.value:
            out.append((user.username, user.full_name))
    return out


def custodian_names(store: Store, *, besides: str = "") -> str:
    """The CA's custodians to name to a person, "Dr. Pia Principal (pi) or …" (at most two, the
    most recent first, never ``besides``, who is the one reading); "" when none is known."""
    people = [f"{name} ({user})" for user, name in ca_custodians(store) if user != besides]
    return " or ".join(people[:2])
