"""Who may do what: roles, users, and the credentials that prove who a caller is."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The roles a user can hold; a user may hold several."""

    ADMIN = "admin"
    MODERATOR = "moderator"
    """Reviews items and decides; a senior moderator takes escalations and appeals."""
    TRIAGE = "triage"
    """Sorts incoming reports and escalates, without deciding."""
    FLAGGER = "flagger"
    """A trusted flagger, e.g. an election pop-up team member."""
    TARGET = "target"
    """A protected person (candidate, MP, councillor...) using Hustings themselves."""
    DELEGATE = "delegate"
    """Staff or an agent acting for one or more targets, scoped to them."""
    POLICE_LIAISON = "police_liaison"
    ANALYST = "analyst"
    COMPLAINTS_OFFICER = "complaints_officer"
    """Receives, acknowledges and assesses party complaints; handles the cases assigned to them."""
    INVESTIGATOR = "investigator"
    PANEL_MEMBER = "panel_member"
    OVERSIGHT = "oversight"
    """Independent oversight of complaint handling: opens any case of their party, reads the access report."""
    PARTY_ADMIN = "party_admin"
    """Enrols the users of one party in its complaints team."""


ALL_ROLES: tuple[Role, ...] = tuple(Role)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    roles: frozenset[Role]
    display_name: str = ""
    target_ids: tuple[str, ...] = ()
    """The targets this user is, or acts for (roles `target` and `delegate`)."""
    disabled: bool = False
    second_factor: bool = False
    """Whether a browser login needs a one-time code after the password (see `hustings.auth.second_factor`)."""
    organisation: str = ""
    """Whom the user works for (``Fenmarsh Police``), named beside them in a chain of custody; where
    empty, the installation's (`HUSTINGS_ORGANISATION`) is named instead."""

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request, and how they proved it."""

    user: User
    via: str  # "token" or "session"
    session_id: str | None = None
    csrf_token: str | None = field(default=None, repr=False)


TOKEN_PREFIX = "hus_"  # noqa: S105 - a prefix that marks our tokens, not a secret


_RANDOM_PART = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def looks_like_token(value: str) -> bool:
    """Whether `value` has the shape of a token `new_token` makes: checked before any look-up."""
    return value.startswith(TOKEN_PREFIX) and _RANDOM_PART.fullmatch(value[len(TOKEN_PREFIX) :]) is not None


def looks_like_session_id(value: str) -> bool:
    """Whether `value` has the shape of a browser session's id: checked before any look-up."""
    return _RANDOM_PART.fullmatch(value) is not None


def new_token() -> str:
    """A fresh API token (shown once, stored only as its hash)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so an unsalted SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


_DUMMY_SALT = bytes(16)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the `stored` hash.

    With no usable hash (an unknown user name, a user without a password) the same scrypt work
    is done against a dummy salt before answering False, so the time taken does not tell an
    attacker which names exist.
    """
    salt, digest_hex = _DUMMY_SALT, ""
    if stored and stored.startswith("scrypt$") and stored.count("$") == 2:
        _, salt_hex, digest_hex = stored.split("$", 2)
        salt = bytes.fromhex(salt_hex)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return bool(digest_hex) and hmac.compare_digest(digest.hex(), digest_hex)
