"""Accounts: API token lifetimes and revocation, disabling users, passwords, the second factor.

`Accounts` is the service over an `AccountStore` (SQL in `hustings.storage.users`, in memory in
`hustings.auth.memory`), the event log and the clock. Every change it makes is an event on the
user's ``account`` subject (see `hustings.auth.events`), written in the caller's transaction;
nothing here commits.

Rules it keeps:

- A token is refused once it is past its expiry or revoked, and the refusal says which.
- Disabling a user ends their browser sessions and revokes their tokens in the same transaction,
  so the next request with either is refused; enabling them again does not bring tokens back.
- A user changes their own password only with their current one, and their other sessions end;
  an admin's reset ends all of them.
- Once a second factor is enrolled, a browser login is not finished by the password alone.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from hustings.auth.events import (
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    EMAIL_SET,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    RECOVERY_CODE_USED,
    RECOVERY_CODES_ISSUED,
    ROLES_CHANGED,
    SECOND_FACTOR_ENROLLED,
    SECOND_FACTOR_RESET,
    SUBJECT,
    TOKEN_ISSUED,
    TOKEN_REVOKED,
    AccountDisabled,
    RecoveryCodes,
    RolesChanged,
    SessionsEnded,
    TokenIssued,
    TokenRevoked,
    account_event,
)
from hustings.auth.model import Role, User, hash_token, new_token
from hustings.auth.second_factor import (
    STAFF_ROLES,
    SecretBox,
    accepted_step,
    hash_recovery_code,
    looks_like_recovery_code,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
)
from hustings.clock import Clock, as_utc, iso
from hustings.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from hustings.events import Event, EventLog, Status, user_actor


@dataclass(frozen=True, slots=True)
class ApiToken:
    """What is known about an API token, never the token itself (stored only as its hash)."""

    id: str
    user_id: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    """None only for tokens issued before tokens had lifetimes."""
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and as_utc(self.expires_at) <= now:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str = field(repr=False)
    """Shown to the caller once; only its hash is kept."""
    info: ApiToken


@dataclass(frozen=True, slots=True)
class SecondFactorRecord:
    """A user's second factor as stored: secrets sealed by a `SecretBox`."""

    sealed_secret: str | None = None
    sealed_pending: str | None = None
    """A secret shown for enrolment and not yet confirmed with a code."""
    last_step: int | None = None
    """The last TOTP time step accepted, so no code is accepted twice."""

    @property
    def enrolled(self) -> bool:
        return self.sealed_secret is not None


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the enrolment page shows: the secret (for typing in), its URI (for the QR code)."""

    secret: str = field(repr=False)
    uri: str = field(repr=False)


class CodesExhausted(NotAuthenticated):
    """The last wrong code a held login allowed: the login is dropped and the password must be given again."""


@dataclass(frozen=True, slots=True)
class LoginChallenge:
    """A login whose password was right and whose second factor is still to come."""

    user_id: str
    next_path: str
    expires_at: datetime
    failures: int


class AccountStore(Protocol):
    """What `Accounts` needs from storage. Implementations never commit."""

    def get(self, user_id: str) -> User | None: ...

    def set_disabled(self, user_id: str, disabled: bool) -> None: ...

    def set_roles(self, user_id: str, roles: frozenset[Role]) -> None: ...

    def password_matches(self, user_id: str, password: str) -> bool: ...

    def set_password(self, user_id: str, password: str) -> None: ...

    def end_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        """End the user's browser sessions (all but the session `keep`, if given); return how many."""
        ...

    def insert_token(self, token: ApiToken, token_hash: str) -> None: ...

    def token(self, token_id: str) -> ApiToken | None: ...

    def token_by_hash(self, token_hash: str) -> ApiToken | None: ...

    def tokens(self, user_id: str | None = None) -> list[ApiToken]:
        """The user's tokens (everyone's when `user_id` is None), newest first."""
        ...

    def revoke_token(self, token_id: str, *, at: datetime, by: str) -> None: ...

    def second_factor(self, user_id: str) -> SecondFactorRecord: ...

    def save_second_factor(self, user_id: str, record: SecondFactorRecord) -> None: ...

    def sealed_second_factors(self) -> dict[str, SecondFactorRecord]:
        """Every user's second factor that holds a sealed secret (enrolled or pending), by user id."""
        ...

    def reseal_second_factor(
        self, user_id: str, before: SecondFactorRecord, after: SecondFactorRecord
    ) -> bool:
        """Store `after`'s sealed secrets, only if the stored ones are still `before`'s (atomically);
        the last accepted step is left as it is."""
        ...

    def advance_step(self, user_id: str, step: int) -> bool:
        """Record `step` as the last accepted, only if it is later than the one recorded (atomically)."""
        ...

    def replace_recovery_codes(self, user_id: str, code_hashes: list[str]) -> None: ...

    def use_recovery_code(self, user_id: str, code_hash: str, *, at: datetime) -> bool:
        """Mark the unused code with this hash used; False when there is none."""
        ...

    def recovery_codes_left(self, user_id: str) -> int: ...

    def open_challenge(self, challenge_hash: str, challenge: LoginChallenge) -> None: ...

    def challenge(self, challenge_hash: str) -> LoginChallenge | None: ...

    def count_challenge_failure(self, challenge_hash: str) -> None: ...

    def close_challenge(self, challenge_hash: str) -> None: ...


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    token_days: int = 90
    """Lifetime of a token when its issuer names none (`HUSTINGS_TOKEN_DAYS`)."""
    max_token_days: int = 3650
    challenge_minutes: int = 5
    """How long a login may wait between the right password and its second factor."""
    challenge_attempts: int = 5
    """Wrong codes allowed in one login before the password must be given again."""


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def new_token_id() -> str:
    return "t_" + uuid.uuid4().hex[:16]


class Accounts:
    """The account service. Every method that changes an account appends its event to `log`."""

    def __init__(
        self, store: AccountStore, log: EventLog, clock: Clock, box: SecretBox, policy: AccountPolicy
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.box = box
        self.policy = policy

    # ------------------------------------------------------------------ reading

    def user(self, user_id: str) -> User:
        user = self.store.get(user_id)
        if user is None:
            raise NotFound(f"user: no user with id {user_id!r}")
        return user

    def token(self, token_id: str) -> ApiToken:
        token = self.store.token(token_id)
        if token is None:
            raise NotFound(f"token_id: no token {token_id!r}")
        return token

    def tokens(self, user_id: str | None = None) -> list[ApiToken]:
        return self.store.tokens(user_id)

    def history(self, user_id: str) -> list[Event]:
        """The account's events, oldest first: what changed, when, by whom and why (never a credential)."""
        self.user(user_id)
        return self.log.history(SUBJECT, user_id)

    def authenticate_token(self, token: str) -> User:
        """The user a bearer token belongs to; `NotAuthenticated` saying why when it is refused."""
        found = self.store.token_by_hash(hash_token(token))
        if found is None:
            raise NotAuthenticated("token: not recognised; check that it was copied whole")
        user = self.store.get(found.user_id)
        if user is None or user.disabled:
            raise NotAuthenticated("token: the account it belongs to is disabled")
        state = found.state(self.clock.now())
        if state == "revoked":
            assert found.revoked_at is not None
            raise NotAuthenticated(f"token: revoked at {as_utc(found.revoked_at).isoformat()}")
        if state == "expired":
            assert found.expires_at is not None
            raise NotAuthenticated(
                f"token: expired at {as_utc(found.expires_at).isoformat()}; ask an admin for a new one"
            )
        return user

    # ------------------------------------------------------------------ tokens

    def issue_token(
        self, user_id: str, *, actor: str, label: str = "", days: int | None = None
    ) -> IssuedToken:
        """A new token for the user, living `days` (the policy's default when None)."""
        user = self.user(user_id)
        lifetime = self.policy.token_days if days is None else days
        if not 1 <= lifetime <= self.policy.max_token_days:
            raise InvalidInput(f"expires_in_days: must be 1 to {self.policy.max_token_days}, not {lifetime}")
        if len(label) > 120:
            raise InvalidInput("label: at most 120 characters")
        if user.disabled:
            raise Conflict(f"user: {user.name!r} is disabled; enable them before issuing a token")
        now = self.clock.now()
        secret = new_token()
        info = ApiToken(
            id=new_token_id(),
            user_id=user_id,
            label=label,
            created_at=now,
            expires_at=now + timedelta(days=lifetime),
        )
        self.store.insert_token(info, hash_token(secret))
        payload: TokenIssued = {"token_id": info.id, "label": label, "expires_at": iso(info.expires_at)}
        self.log.append(
            account_event(
                TOKEN_ISSUED, user_id, actor=actor, at=now, key=f"{TOKEN_ISSUED}:{info.id}", payload=payload
            )
        )
        return IssuedToken(token=secret, info=info)

    def revoke_token(
        self, token_id: str, *, actor: str, owner: str | None = None, reason: str = ""
    ) -> ApiToken:
        """Revoke a token (only one of `owner`'s, when given); revoking it again changes nothing."""
        token = self.token(token_id)
        if owner is not None and token.user_id != owner:
            raise NotFound(f"token_id: no token {token_id!r} of yours")
        if token.revoked_at is not None:
            return token
        now = self.clock.now()
        self.store.revoke_token(token_id, at=now, by=actor)
        payload: TokenRevoked = {"token_id": token_id}
        self.log.append(
            account_event(
                TOKEN_REVOKED,
                token.user_id,
                actor=actor,
                at=now,
                key=f"{TOKEN_REVOKED}:{token_id}",
                payload=payload,
                reason=reason,
            )
        )
        return self.token(token_id)

    # ------------------------------------------------------------------ disabling

    def disable(self, user_id: str, *, actor: str, reason: str = "") -> User:
        """Disable the user, end their sessions and revoke their tokens; a no-op if already disabled."""
        user = self.user(user_id)
        if actor == user_actor(user_id):
            raise Forbidden("user: you cannot disable your own account")
        if user.disabled:
            return user
        now = self.clock.now()
        status = self._status(user_id)
        self.store.set_disabled(user_id, True)
        sessions = self.store.end_sessions(user_id)
        revoked = []
        for token in self.store.tokens(user_id):
            if token.revoked_at is None:
                self.store.revoke_token(token.id, at=now, by=actor)
                revoked.append(token.id)
        payload: AccountDisabled = {"tokens_revoked": revoked, "sessions_ended": sessions}
        self._append(ACCOUNT_DISABLED, user_id, status, actor=actor, payload=payload, reason=reason)
        return self.user(user_id)

    def enable(self, user_id: str, *, actor: str, reason: str = "") -> User:
        """Enable a disabled user. Their old tokens stay revoked; a no-op if already enabled."""
        user = self.user(user_id)
        if not user.disabled:
            return user
        status = self._status(user_id)
        self.store.set_disabled(user_id, False)
        self._append(ACCOUNT_ENABLED, user_id, status, actor=actor, payload={}, reason=reason)
        return self.user(user_id)

    # ------------------------------------------------------------------ e-mail

    def email(self, user_id: str) -> str:
        """The address the user's notifications are e-mailed to; empty when they gave none."""
        status = self._status(user_id)
        return str(status.data.get("email", "")) if status else ""

    def set_email(self, user_id: str, email: str, *, actor: str) -> str:
        """Set (or, with an empty `email`, remove) the address notifications go to."""
        self.user(user_id)
        email = email.strip()
        if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
            raise InvalidInput("email: give an address like name@example.org, or leave it empty")
        if email == self.email(user_id):
            return email
        status = self._status(user_id)
        self._append(EMAIL_SET, user_id, status, actor=actor, payload={"email": email})
        return email

    # ------------------------------------------------------------------ roles

    def change_roles(self, user_id: str, roles: frozenset[Role], *, actor: str, reason: str = "") -> User:
        """Give the user exactly `roles`; a no-op when they already have them.

        An admin cannot take the admin role from themselves (another admin can), so the last
        admin never locks everyone out by a slip of the mouse.
        """
        user = self.user(user_id)
        if not roles:
            raise InvalidInput("roles: choose at least one role")
        if roles == user.roles:
            return user
        if actor == user_actor(user_id) and Role.ADMIN in user.roles and Role.ADMIN not in roles:
            raise Forbidden("roles: you cannot remove the admin role from your own account")
        status = self._status(user_id)
        self.store.set_roles(user_id, roles)
        payload: RolesChanged = {
            "before": sorted(role.value for role in user.roles),
            "after": sorted(role.value for role in roles),
        }
        self._append(ROLES_CHANGED, user_id, status, actor=actor, payload=payload, reason=reason)
        return self.user(user_id)

    # ------------------------------------------------------------------ passwords

    def change_password(self, user_id: str, *, current: str, new: str, keep_session: str | None) -> int:
        """The user's own change: `current` must match. Ends their other sessions; returns how many."""
        self.user(user_id)
        if not self.store.password_matches(user_id, current):
            raise InvalidInput("current_password: does not match your password")
        if new == current:
            raise InvalidInput("new_password: must differ from the current password")
        status = self._status(user_id)
        self.store.set_password(user_id, new)
        ended = self.store.end_sessions(user_id, keep=keep_session)
        payload: SessionsEnded = {"sessions_ended": ended}
        self._append(PASSWORD_CHANGED, user_id, status, actor=user_actor(user_id), payload=payload)
        return ended

    def reset_password(self, user_id: str, *, new: str, actor: str, reason: str = "") -> int:
        """An admin sets a new password; every session of the user ends. Returns how many."""
        self.user(user_id)
        status = self._status(user_id)
        self.store.set_password(user_id, new)
        ended = self.store.end_sessions(user_id)
        payload: SessionsEnded = {"sessions_ended": ended}
        self._append(PASSWORD_RESET, user_id, status, actor=actor, payload=payload, reason=reason)
        return ended

    # ------------------------------------------------------------------ second factor

    def may_enrol(self, user: User) -> bool:
        return user.has_any(STAFF_ROLES)

    def second_factor_enrolled(self, user_id: str) -> bool:
        return self.store.second_factor(user_id).enrolled

    def start_enrolment(self, user_id: str) -> Enrolment:
        """A fresh secret to scan; it takes effect only once `confirm_enrolment` sees a code from it."""
        user = self.user(user_id)
        if not self.may_enrol(user):
            raise Forbidden("second factor: only staff roles enrol one")
        record = self.store.second_factor(user_id)
        if record.enrolled:
            raise Conflict("second factor: already enrolled; ask an admin to reset it to enrol another")
        secret = new_secret()
        self.store.save_second_factor(
            user_id, SecondFactorRecord(sealed_pending=self.box.seal(secret), last_step=record.last_step)
        )
        return Enrolment(secret=secret, uri=provisioning_uri(secret, user.name))

    def pending_enrolment(self, user_id: str) -> Enrolment | None:
        record = self.store.second_factor(user_id)
        if record.enrolled or record.sealed_pending is None:
            return None
        secret = self.box.open(record.sealed_pending)
        return Enrolment(secret=secret, uri=provisioning_uri(secret, self.user(user_id).name))

    def confirm_enrolment(self, user_id: str, code: str) -> list[str]:
        """Enrol the pending secret if `code` is from it; return the recovery codes (shown once)."""
        record = self.store.second_factor(user_id)
        if record.enrolled:
            raise Conflict("second factor: already enrolled")
        if record.sealed_pending is None:
            raise Conflict("second factor: start enrolment first")
        secret = self.box.open(record.sealed_pending)
        step = accepted_step(secret, code, at=self.clock.now(), after_step=record.last_step)
        if step is None:
            raise InvalidInput("code: not the current code of the authenticator you scanned; try again")
        status = self._status(user_id)
        self.store.save_second_factor(
            user_id, SecondFactorRecord(sealed_secret=record.sealed_pending, last_step=step)
        )
        self._append(SECOND_FACTOR_ENROLLED, user_id, status, actor=user_actor(user_id), payload={})
        return self._issue_recovery_codes(user_id, actor=user_actor(user_id))

    def regenerate_recovery_codes(self, user_id: str, code: str) -> list[str]:
        """New recovery codes for an enrolled user, in exchange for a current code; the old ones stop working."""
        record = self.store.second_factor(user_id)
        if not record.enrolled:
            raise Conflict("second factor: not enrolled")
        self._accept_code(user_id, record, code)
        return self._issue_recovery_codes(user_id, actor=user_actor(user_id))

    def reset_second_factor(self, user_id: str, *, actor: str, reason: str = "") -> User:
        """An admin removes a user's second factor and recovery codes (e.g. a lost phone)."""
        user = self.user(user_id)
        record = self.store.second_factor(user_id)
        if not record.enrolled and record.sealed_pending is None:
            return user
        status = self._status(user_id)
        self.store.save_second_factor(user_id, SecondFactorRecord(last_step=record.last_step))
        self.store.replace_recovery_codes(user_id, [])
        self._append(SECOND_FACTOR_RESET, user_id, status, actor=actor, payload={}, reason=reason)
        return self.user(user_id)

    def recovery_codes_left(self, user_id: str) -> int:
        return self.store.recovery_codes_left(user_id)

    def reseal_second_factors(self) -> int:
        """Seal every stored second-factor secret again under the current secret key (after a key
        rotation, so the old key can be retired); return how many users' were resealed.

        Safe to repeat and to run beside logins and enrolments: one changed meanwhile was sealed
        under the current key already and is left alone. Raises `ConfigurationError` on a secret
        that no configured key opens, before anything is written.
        """
        found = self.store.sealed_second_factors()
        resealed = {
            user_id: replace(
                record,
                sealed_secret=self.box.reseal(record.sealed_secret) if record.sealed_secret else None,
                sealed_pending=self.box.reseal(record.sealed_pending) if record.sealed_pending else None,
            )
            for user_id, record in found.items()
        }
        return sum(
            self.store.reseal_second_factor(user_id, found[user_id], after)
            for user_id, after in resealed.items()
        )

    # ------------------------------------------------------------------ login, second step

    def second_factor_required(self, user: User) -> bool:
        """Whether a browser login by `user` needs a code after the password."""
        return self.store.second_factor(user.id).enrolled

    def begin_second_factor(self, user: User, next_path: str) -> str:
        """Hold a login whose password was right; return the challenge id (for a cookie)."""
        challenge_id = secrets.token_urlsafe(32)
        self.store.open_challenge(
            hash_token(challenge_id),
            LoginChallenge(
                user_id=user.id,
                next_path=next_path,
                expires_at=self.clock.now() + timedelta(minutes=self.policy.challenge_minutes),
                failures=0,
            ),
        )
        return challenge_id

    def pending_login(self, challenge_id: str) -> LoginChallenge:
        """The held login, or `NotAuthenticated` when it is unknown, spent or expired."""
        challenge = self.store.challenge(hash_token(challenge_id))
        if challenge is None or as_utc(challenge.expires_at) <= self.clock.now():
            raise NotAuthenticated("login: this login has expired; give your user name and password again")
        return challenge

    def finish_second_factor(self, challenge_id: str, code: str) -> tuple[User, str]:
        """The user and where to send them, when `code` is a current TOTP code or an unused recovery code.

        A wrong code raises `InvalidInput`; the last of `challenge_attempts` of them drops the
        login and raises `CodesExhausted`.
        """
        key = hash_token(challenge_id)
        challenge = self.pending_login(challenge_id)
        user = self.store.get(challenge.user_id)
        if user is None or user.disabled:
            self.store.close_challenge(key)
            raise NotAuthenticated("login: this account is disabled")
        record = self.store.second_factor(user.id)
        if not record.enrolled:  # an admin reset it while this login waited
            self.store.close_challenge(key)
            raise NotAuthenticated(
                "login: your second factor was reset; give your user name and password again"
            )
        try:
            if looks_like_recovery_code(code):
                self._use_recovery_code(user.id, code)
            else:
                self._accept_code(user.id, record, code)
        except InvalidInput:
            if challenge.failures + 1 >= self.policy.challenge_attempts:
                self.store.close_challenge(key)
                raise CodesExhausted(
                    "login: too many wrong codes; give your user name and password again"
                ) from None
            self.store.count_challenge_failure(key)
            raise
        self.store.close_challenge(key)
        return user, challenge.next_path

    # ------------------------------------------------------------------ internals

    def _accept_code(self, user_id: str, record: SecondFactorRecord, code: str) -> None:
        assert record.sealed_secret is not None
        step = accepted_step(
            self.box.open(record.sealed_secret), code, at=self.clock.now(), after_step=record.last_step
        )
        # Two logins racing with one code: only the first to advance the step gets in.
        if step is None or not self.store.advance_step(user_id, step):
            raise InvalidInput("code: wrong, expired or already used; enter the code your app shows now")

    def _use_recovery_code(self, user_id: str, code: str) -> None:
        if not self.store.use_recovery_code(user_id, hash_recovery_code(code), at=self.clock.now()):
            raise InvalidInput("code: not one of your unused recovery codes")
        status = self._status(user_id)
        payload: RecoveryCodes = {"remaining": self.store.recovery_codes_left(user_id)}
        self._append(RECOVERY_CODE_USED, user_id, status, actor=user_actor(user_id), payload=payload)

    def _issue_recovery_codes(self, user_id: str, *, actor: str) -> list[str]:
        codes = new_recovery_codes()
        self.store.replace_recovery_codes(user_id, [hash_recovery_code(code) for code in codes])
        status = self._status(user_id)
        payload: RecoveryCodes = {"remaining": len(codes)}
        self._append(RECOVERY_CODES_ISSUED, user_id, status, actor=actor, payload=payload)
        return codes

    def _status(self, user_id: str) -> Status | None:
        return self.log.store.load_statuses([(SUBJECT, user_id)]).get((SUBJECT, user_id))

    def _append(
        self,
        kind: str,
        user_id: str,
        status: Status | None,
        *,
        actor: str,
        payload: object,
        reason: str = "",
    ) -> None:
        # kind:user:event_count — a retried or concurrent second change is refused (409), not repeated.
        count = status.event_count if status else 0
        self.log.append(
            account_event(
                kind,
                user_id,
                actor=actor,
                at=self.clock.now(),
                key=f"{kind}:{user_id}:{count}",
                payload=payload,
                reason=reason,
            )
        )
