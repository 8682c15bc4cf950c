"""The second factor: time-based one-time codes (TOTP, RFC 6238, with `pyotp`) and recovery codes.

Staff enrol an authenticator app by scanning a QR code of the provisioning URI; from then on a
browser login asks for a code after the password. A code is accepted for the 30-second step it
belongs to and one step either side (clock drift), and only for a step later than the last one
accepted, so a code seen over someone's shoulder cannot be used again.

Secrets are stored encrypted (`SecretBox`) and never logged. Recovery codes carry 80 random bits,
are shown once and stored as SHA-256 hashes, and each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hustings.auth.model import Role
from hustings.errors import ConfigurationError

ISSUER = "Hustings"
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10

STAFF_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.MODERATOR,
        Role.TRIAGE,
        Role.POLICE_LIAISON,
        Role.COMPLAINTS_OFFICER,
        Role.INVESTIGATOR,
        Role.PANEL_MEMBER,
        Role.OVERSIGHT,
        Role.PARTY_ADMIN,
        Role.ANALYST,
    }
)
"""The roles that may enrol a second factor: the people who see abusive content, personal data and
evidence for many targets. Targets, delegates and flaggers see only their own or submit reports."""

_SALT = b"hustings.auth.second_factor"
_INFO = b"hustings second-factor secrets at rest v1"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off paper and typed in


class SecretBox:
    """Encrypts second-factor secrets at rest with Fernet, under a key derived from the service secret.

    `service_secret` seals; it and each of `previous` (the secrets it replaced, newest first,
    `HUSTINGS_SECRET_KEY_PREVIOUS`) open, so rotating the service secret locks no one out, and
    `reseal` moves a sealed secret to the current one so the old key can be retired.
    """

    def __init__(self, service_secret: str, *, previous: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(_box_key(key)) for key in (service_secret, *previous)])

    def __repr__(self) -> str:
        return "SecretBox(**********)"

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise _unreadable() from None

    def reseal(self, sealed: str) -> str:
        """`sealed` sealed again under the current service secret (whichever key it was under)."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise _unreadable() from None


def _box_key(service_secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        service_secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)


def _unreadable() -> ConfigurationError:
    return ConfigurationError(
        "second factor: the stored secret cannot be read with HUSTINGS_SECRET_KEY or any key in "
        "HUSTINGS_SECRET_KEY_PREVIOUS; put the key it was made under back in "
        "HUSTINGS_SECRET_KEY_PREVIOUS, or an admin must reset the user's second factor"
    )


def new_secret() -> str:
    """A fresh TOTP secret: 160 random bits in base32, as authenticator apps expect."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no external image, so no CSP exception)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app")
    return svg


def accepted_step(secret: str, code: str, *, at: datetime, after_step: int | None) -> int | None:
    """The time step `code` belongs to, within the drift window around `at`, if later than `after_step`.

    None when the code is wrong, outside the window, or already used (its step is not after the last
    accepted one).
    """
    code = "".join(code.split())
    totp = pyotp.TOTP(secret)
    if len(code) != totp.digits or not code.isdigit():
        return None
    now = totp.timecode(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh one-use recovery codes like ``k7qm-x3vd-9tnh-e2wa`` (80 random bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def hash_recovery_code(code: str) -> str:
    """Hash a recovery code as typed: case, spaces and dashes do not matter."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len("".join(ch for ch in code if ch.isalnum())) == 16
