"""Local user accounts: roles, salted scrypt password hashes, lockout.

No default password exists anywhere: the first administrator is created
with a password the installer types (``resistdesk init``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from enum import StrEnum

from core.errors import InputError
from core.paths import resource


class Role(StrEnum):
    COORDINATOR = "coordinator"
    INVESTIGATOR = "investigator"
    ADMINISTRATOR = "administrator"


# NIST SP 800-63B (3.1.1.2): at least 12 characters (above the 8 it allows, since a password is
# the only factor here and also seals the signing key), at least 128 allowed, every printable
# Unicode character allowed (normalised with NFKC), no composition rules, and a check against a
# bundled list of common and breached passwords and the account's own names.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_ATTEMPTS = 5
LOCKOUT_MINUTES = 15
# scrypt cost: N=2^14, r=8 (16 MiB), about 86 ms per check on the shared 2-core machine (slow for an
# attacker, fine at login). Signing keys are sealed with twice that (core.worksheet.pki.KDF_N).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# Format and control characters (Cc, Cf: zero-width spaces and joiners, bidi marks), unassigned
# and private-use code points, and separators other than the plain space are refused.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list (resources/passwords/common-passwords.txt), lower-cased."""
    text = resource("passwords", "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def normalise_password(password: str) -> str:
    """NFKC, as SP 800-63B asks, so the same password typed on two keyboards is the same."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        normalise_password(password).encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def decoy_hash() -> str:
    """A hash in the current scheme that no password opens (a random salt and a random digest),
    to check when the account does not exist: the check costs one scrypt at the current cost,
    as a real account's does, so the time tells nothing; making it costs none (a real
    ``hash_password`` here would add a second scrypt to the first sign-in of each start)."""
    b64 = base64.b64encode
    salt, digest = b64(secrets.token_bytes(16)).decode(), b64(secrets.token_bytes(32)).decode()
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            normalise_password(password).encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_password_policy(password: str, username: str, full_name: str = "") -> None:
    """Refuse a password SP 800-63B says to refuse, with the reason (never the password) in words."""
    for ch in password:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES and ch != " ":
            raise InputError(
                "password",
                f"contains an invisible or control character (U+{ord(ch):04X}); type only visible "
                "characters and spaces",
            )
    text = normalise_password(password)
    if len(text) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters (a phrase is fine)")
    if len(text) > MAX_PASSWORD_LENGTH:
        raise InputError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    lowered = text.lower()
    # The list holds breached passwords; people lengthen them with digits and signs at the end.
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    common = common_passwords()
    if lowered in common or (len(stem) >= 6 and stem in common):
        raise InputError("password", "is on the list of common or breached passwords; choose another")
    if len(set(lowered)) <= 2 or lowered in "01234567890123456789" or lowered in "abcdefghijklmnopqrstuvwxyz":
        raise InputError("password", "is a repeated or sequential run of characters; choose another")
    words = {username.strip().lower(), *full_name.lower().split(), "resistdesk"}
    if lowered.strip() in words or stem in {w for w in words if len(w) >= 4}:
        raise InputError("password", "must not be the user id, the name, or the name of this program")


def temporary_password() -> str:
    """A random one-time password an administrator hands over; it must be changed at sign-in."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


def check_username(username: str, field: str = "username") -> str:
    name = username.strip()
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "._-" for ch in name):
        raise InputError(field, "use 1-64 letters, digits, dots, dashes or underscores")
    return name


def same_printed_name(a: str, b: str) -> bool:
    """Would a reader take the two printed names for the same person's (case, spacing and
    Unicode compatibility forms aside)? Two accounts may not share one: the printed name is what
    a signature shows."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return norm(a) == norm(b)


def name_scripts(name: str) -> set[str]:
    """The writing systems of a name's letters (LATIN, CYRILLIC, GREEK, ...), from their
    Unicode names."""
    scripts = set()
    for char in unicodedata.normalize("NFKC", name):
        if char.isalpha():
            script = unicodedata.name(char, "UNKNOWN").split()[0]
            if script == "MODIFIER":  # the Hawaiian ʻokina, apostrophe-like letters
                continue
            scripts.add(_SCRIPT_GROUPS.get(script, script))
    return scripts


# Writing systems that one language's names mix (Japanese kanji and kana; Korean hangul and hanja).
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK", "IDEOGRAPHIC": "CJK"}


def check_printed_name_script(name: str, field: str = "full_name") -> None:
    """Refuse a printed name mixing writing systems: one Cyrillic or Greek look-alike letter in
    a Latin name ("Dr. Inеs", with a Cyrillic "е") would read as another person's name."""
    scripts = name_scripts(name)
    if len(scripts) > 1:
        raise InputError(
            field,
            f"mixes letters of several writing systems ({', '.join(sorted(s.lower() for s in scripts))}): "
            "a look-alike letter would make it read as another person's name; write it in one",
        )


def check_account(username: str, full_name: str, password: str) -> str:
    """A new account's user id, printed name and password, each by its rules (InputError naming
    the field); the user id as stored."""
    from core.limits import MAX_NAME_CHARS, check_text

    name = check_username(username)
    if not full_name.strip():
        raise InputError("full_name", "the printed name is required (it appears on signatures)")
    check_text(full_name, "full_name", MAX_NAME_CHARS, formula=False)
    check_printed_name_script(full_name)
    check_password_policy(password, name, full_name)
    return name
