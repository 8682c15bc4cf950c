"""Accounts over JSON: users disabled and enabled, passwords, API tokens issued, listed and revoked.

Admins manage everyone (``/v1/users/...``, ``/v1/tokens/...``); every user manages their own
password and tokens (``/v1/me/...``). The second factor is enrolled on a page
(``/account/second-factor``), where its QR code can be scanned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hustings.auth.accounts import ApiToken
from hustings.auth.model import User
from hustings.events import user_actor
from hustings.web.deps import Admin, AnyUser, ServicesDep

router = APIRouter(tags=["accounts"])

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class UserPublic(BaseModel):
    id: str
    name: str
    display_name: str
    roles: list[str]
    target_ids: list[str]
    disabled: bool
    second_factor: bool

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            name=user.name,
            display_name=user.display_name,
            roles=sorted(user.roles),
            target_ids=list(user.target_ids),
            disabled=user.disabled,
            second_factor=user.second_factor,
        )


class TokenPublic(BaseModel):
    id: str
    user_id: str
    label: str
    created_at: datetime
    expires_at: datetime | None = Field(description="None only for tokens issued before tokens expired.")
    revoked_at: datetime | None
    state: str = Field(description="active, expired or revoked")

    @classmethod
    def of(cls, token: ApiToken, now: datetime) -> TokenPublic:
        return cls(
            id=token.id,
            user_id=token.user_id,
            label=token.label,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            state=token.state(now),
        )


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Lifetime in days; the configured default when left out."
    )


class TokenIssuedPublic(BaseModel):
    token: str = Field(description="The token itself, shown this once; only its hash is kept.")
    info: TokenPublic


class Because(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = ""


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password
    reason: Reason = ""


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


class SessionsEndedPublic(BaseModel):
    sessions_ended: int


# ---------------------------------------------------------------- admins


@router.get("/v1/users", response_model=list[UserPublic])
def list_users(_: Admin, services: ServicesDep) -> list[UserPublic]:
    return [UserPublic.of(user) for user in services.users.all()]


@router.post("/v1/users/{user_id}/disable", response_model=UserPublic)
def disable_user(
    user_id: str, principal: Admin, services: ServicesDep, body: Because | None = None
) -> UserPublic:
    """Disable a user: their sessions end and their tokens are revoked, in this request."""
    user = services.accounts.disable(
        user_id, actor=user_actor(principal.user.id), reason=body.reason if body else ""
    )
    return UserPublic.of(user)


@router.post("/v1/users/{user_id}/enable", response_model=UserPublic)
def enable_user(
    user_id: str, principal: Admin, services: ServicesDep, body: Because | None = None
) -> UserPublic:
    """Enable a user again; tokens revoked when they were disabled stay revoked."""
    user = services.accounts.enable(
        user_id, actor=user_actor(principal.user.id), reason=body.reason if body else ""
    )
    return UserPublic.of(user)


@router.post("/v1/users/{user_id}/password", response_model=SessionsEndedPublic)
def reset_password(
    user_id: str, body: PasswordReset, principal: Admin, services: ServicesDep
) -> SessionsEndedPublic:
    """Set a new password for a user; all their browser sessions end."""
    ended = services.accounts.reset_password(
        user_id, new=body.password, actor=user_actor(principal.user.id), reason=body.reason
    )
    return SessionsEndedPublic(sessions_ended=ended)


@router.delete("/v1/users/{user_id}/second-factor", response_model=UserPublic)
def reset_second_factor(user_id: str, principal: Admin, services: ServicesDep) -> UserPublic:
    """Remove a user's second factor and recovery codes, so they can enrol a new one."""
    user = services.accounts.reset_second_factor(user_id, actor=user_actor(principal.user.id))
    return UserPublic.of(user)


@router.get("/v1/users/{user_id}/tokens", response_model=list[TokenPublic])
def list_user_tokens(user_id: str, _: Admin, services: ServicesDep) -> list[TokenPublic]:
    services.accounts.user(user_id)
    now = services.clock.now()
    return [TokenPublic.of(token, now) for token in services.accounts.tokens(user_id)]


@router.post("/v1/users/{user_id}/tokens", response_model=TokenIssuedPublic, status_code=201)
def issue_token(
    user_id: str, body: TokenCreate, principal: Admin, services: ServicesDep
) -> TokenIssuedPublic:
    issued = services.accounts.issue_token(
        user_id, actor=user_actor(principal.user.id), label=body.label, days=body.expires_in_days
    )
    return TokenIssuedPublic(token=issued.token, info=TokenPublic.of(issued.info, services.clock.now()))


@router.post("/v1/tokens/{token_id}/revoke", response_model=TokenPublic)
def revoke_token(
    token_id: str, principal: Admin, services: ServicesDep, body: Because | None = None
) -> TokenPublic:
    """Revoke any token; revoking one already revoked changes nothing."""
    token = services.accounts.revoke_token(
        token_id, actor=user_actor(principal.user.id), reason=body.reason if body else ""
    )
    return TokenPublic.of(token, services.clock.now())


# ---------------------------------------------------------------- every user, for themselves


@router.get("/v1/me/tokens", response_model=list[TokenPublic])
def my_tokens(principal: AnyUser, services: ServicesDep) -> list[TokenPublic]:
    now = services.clock.now()
    return [TokenPublic.of(token, now) for token in services.accounts.tokens(principal.user.id)]


@router.post("/v1/me/tokens/{token_id}/revoke", response_model=TokenPublic)
def revoke_my_token(token_id: str, principal: AnyUser, services: ServicesDep) -> TokenPublic:
    """Revoke one of your own tokens (e.g. the one this request carries)."""
    token = services.accounts.revoke_token(
        token_id, actor=user_actor(principal.user.id), owner=principal.user.id
    )
    return TokenPublic.of(token, services.clock.now())


@router.post("/v1/me/password", status_code=204)
def change_my_password(body: PasswordChange, principal: AnyUser, services: ServicesDep) -> Response:
    """Change your password; your current one is required. Your other browser sessions end."""
    services.accounts.change_password(
        principal.user.id,
        current=body.current_password,
        new=body.new_password,
        keep_session=principal.session_id,
    )
    return Response(status_code=204)
