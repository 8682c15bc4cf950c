"""The account vocabulary: events on ``account`` subjects and the pure reducer over them.

Every change to a user's account (disabled, enabled, password changed or reset, roles changed, an
API token issued or revoked, a second factor enrolled or reset, recovery codes issued or used) is an event
on subject type ``account`` whose id is the user id. Credentials themselves never enter the log:
no password, hash, token, secret or code, only ids, times and who acted.

Keys: an event that can repeat on one account (disable, enable, a password change...) is keyed
``kind:user_id:event_count``, so a retried request is refused and two admins acting at once do not
both succeed; token events are keyed by the token id.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

from hustings.clock import iso
from hustings.events.model import Event, Status, initial_status

SUBJECT = "account"

ACCOUNT_DISABLED = "account.disabled"
ACCOUNT_ENABLED = "account.enabled"
PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 - an event kind, not a secret
"""By the user themselves, with their current password."""
PASSWORD_RESET = "account.password_reset"  # noqa: S105 - an event kind, not a secret
"""By an admin; every browser session of the user ends."""
TOKEN_ISSUED = "account.token_issued"  # noqa: S105 - an event kind, not a secret
TOKEN_REVOKED = "account.token_revoked"  # noqa: S105 - an event kind, not a secret
EMAIL_SET = "account.email_set"
"""The address notifications are e-mailed to (empty: none)."""
ROLES_CHANGED = "account.roles_changed"
"""By an admin: the roles before and after."""
SECOND_FACTOR_ENROLLED = "account.second_factor_enrolled"
SECOND_FACTOR_RESET = "account.second_factor_reset"
"""By an admin, for a user who lost their authenticator and recovery codes."""
RECOVERY_CODES_ISSUED = "account.recovery_codes_issued"
RECOVERY_CODE_USED = "account.recovery_code_used"

ACCOUNT_KINDS = (
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    TOKEN_ISSUED,
    TOKEN_REVOKED,
    ROLES_CHANGED,
    EMAIL_SET,
    SECOND_FACTOR_ENROLLED,
    SECOND_FACTOR_RESET,
    RECOVERY_CODES_ISSUED,
    RECOVERY_CODE_USED,
)


class AccountState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class AccountDisabled(TypedDict):
    tokens_revoked: list[str]  # token ids
    sessions_ended: int


class SessionsEnded(TypedDict):
    sessions_ended: int


class TokenIssued(TypedDict):
    token_id: str
    label: str
    expires_at: str | None


class TokenRevoked(TypedDict):
    token_id: str


class RolesChanged(TypedDict):
    before: list[str]
    after: list[str]


class RecoveryCodes(TypedDict):
    remaining: int


def account_event(
    kind: str,
    user_id: str,
    *,
    actor: str,
    at: datetime,
    key: str,
    payload: dict[str, Any] | Any = None,
    reason: str = "",
) -> Event:
    return Event(
        kind=kind,
        subject_type=SUBJECT,
        subject_id=user_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=key,
        reason=reason,
        payload=dict(payload or {}),
    )


def reduce_account(status: Status | None, event: Event) -> Status:
    """Fold one event into an account's status. Pure: no storage, no clock.

    ``data`` holds when the account last changed in each way and by whom, whether a second
    factor is enrolled, how many recovery codes are left, and the ids of tokens issued and revoked.
    """
    current = status or initial_status(event, state=AccountState.ACTIVE.value)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    at = iso(event.occurred_at)
    if event.kind == ACCOUNT_DISABLED:
        data.update(disabled_at=at, disabled_by=event.actor, disabled_why=event.reason)
        data["tokens_revoked"] = sorted({*data.get("tokens_revoked", []), *payload.get("tokens_revoked", [])})
        return current.evolve(state=AccountState.DISABLED.value, data=data)
    if event.kind == ACCOUNT_ENABLED:
        data.update(enabled_at=at, enabled_by=event.actor)
        return current.evolve(state=AccountState.ACTIVE.value, data=data)
    if event.kind == PASSWORD_CHANGED:
        data.update(password_changed_at=at)
        return current.evolve(data=data)
    if event.kind == PASSWORD_RESET:
        data.update(password_reset_at=at, password_reset_by=event.actor)
        return current.evolve(data=data)
    if event.kind == TOKEN_ISSUED:
        data["tokens_issued"] = [*data.get("tokens_issued", []), payload["token_id"]]
        return current.evolve(data=data)
    if event.kind == TOKEN_REVOKED:
        data["tokens_revoked"] = sorted({*data.get("tokens_revoked", []), payload["token_id"]})
        return current.evolve(data=data)
    if event.kind == EMAIL_SET:
        data.update(email=str(payload.get("email", "")), email_set_at=at)
        return current.evolve(data=data)
    if event.kind == ROLES_CHANGED:
        data.update(roles=list(payload["after"]), roles_changed_at=at, roles_changed_by=event.actor)
        return current.evolve(data=data)
    if event.kind == SECOND_FACTOR_ENROLLED:
        data.update(second_factor=True, second_factor_enrolled_at=at)
        return current.evolve(data=data)
    if event.kind == SECOND_FACTOR_RESET:
        data.update(second_factor=False, recovery_codes_left=0, second_factor_reset_by=event.actor)
        return current.evolve(data=data)
    if event.kind in (RECOVERY_CODES_ISSUED, RECOVERY_CODE_USED):
        data.update(recovery_codes_left=int(payload.get("remaining", 0)))
        return current.evolve(data=data)
    raise ValueError(f"account subjects do not take events of kind {event.kind!r}")
