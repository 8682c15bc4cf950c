"""Administration pages: users (with their one-time API token) and the access log.

Each user has a page of their own (``/admin/users/{user_id}``): disable (with a reason) or enable
them, change their roles, reset their password or second factor, issue API tokens with a lifetime
and revoke them, and read their account's history. Every change there is confirmed by a tick box
naming it (a form sent without it changes nothing and says so) and is an event on the account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hustings.auth.model import Principal, Role
from hustings.errors import HustingsError, InvalidInput
from hustings.events import user_actor
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.web.deps import Admin, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/admin", include_in_schema=False)
Confirm = Annotated[str, Form(max_length=10)]
NAV = [
    NavItem("Users", "/admin/users", frozenset({Role.ADMIN}), order=90),
    NavItem("Access log", "/admin/access-log", frozenset({Role.ADMIN}), order=91),
]


@router.get("/users")
def users_page(_: Admin, request: Request, services: ServicesDep) -> Response:
    return render(
        request, "admin/users.html", {"users": services.users.all(), "roles": [r.value for r in Role]}
    )


@router.post("/users")
def add_user(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form()],
    roles: Annotated[list[str] | None, Form()] = None,
    password: Annotated[str, Form()] = "",
    token_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> Response:
    context: dict[str, object] = {"roles": [r.value for r in Role]}
    try:
        chosen = {Role(value) for value in roles or []}
        with savepoint(services.session):
            user = services.users.create(name, chosen, now=services.clock.now(), password=password or None)
            issued = services.accounts.issue_token(
                user.id,
                actor=user_actor(principal.user.id),
                label="created in the admin page",
                days=token_days,
            )
        context.update(created=user, token=issued.token, token_info=issued.info)
        status = 201
    except (HustingsError, ValueError) as error:
        context["error"] = str(error)
        status = 422
    context["users"] = services.users.all()
    response = render(request, "admin/users.html", context, status_code=status)
    response.headers["cache-control"] = "no-store"  # the new user's token is on it
    return response


# ---------------------------------------------------------------- one user's account


def _user_page(
    request: Request,
    services: Services,
    user_id: str,
    context: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    user = services.accounts.user(user_id)
    full = {
        "account": user,
        "tokens": services.accounts.tokens(user_id),
        "history": services.accounts.history(user_id),
        "roles": [r.value for r in Role],
        "names": {u.id: u.name for u in services.users.all()},
        "email": services.accounts.email(user_id),
        "email_configured": services.settings.smtp_host is not None,
        "now": services.clock.now(),
        **(context or {}),
    }
    response = render(request, "admin/user.html", full, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def _after(
    request: Request, services: Services, user_id: str, notice: str, token: str | None = None
) -> Response:
    return _user_page(request, services, user_id, {"notice": notice, "token": token})


def _refused(request: Request, services: Services, user_id: str, error: HustingsError) -> Response:
    return _user_page(request, services, user_id, {"error": str(error)}, error.status_code)


def _confirmed(confirm: str, what: str) -> None:
    if confirm != "yes":
        raise InvalidInput(f"confirm: tick the box to confirm that you mean to {what}; nothing was changed")


@router.get("/users/{user_id}")
def user_page(_: Admin, request: Request, services: ServicesDep, user_id: str) -> Response:
    return _user_page(request, services, user_id)


@router.post("/users/{user_id}/disable")
def disable_user(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
    confirm: Confirm = "",
) -> Response:
    try:
        with savepoint(services.session):
            _confirmed(confirm, "disable this account")
            if not reason.strip():
                raise InvalidInput("reason: say why the account is disabled; it is kept in the event log")
            user = services.accounts.disable(user_id, actor=_actor(principal), reason=reason.strip())
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"{user.name} is disabled; their sessions and tokens ended.")


@router.post("/users/{user_id}/enable")
def enable_user(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
    confirm: Confirm = "",
) -> Response:
    try:
        with savepoint(services.session):
            _confirmed(confirm, "enable this account")
            user = services.accounts.enable(user_id, actor=_actor(principal), reason=reason)
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"{user.name} is enabled. Their old tokens stay revoked.")


@router.post("/users/{user_id}/roles")
def change_roles(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    roles: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form(max_length=500)] = "",
    confirm: Confirm = "",
) -> Response:
    try:
        with savepoint(services.session):
            _confirmed(confirm, "change these roles")
            try:
                chosen = frozenset(Role(value) for value in roles or [])
            except ValueError as error:
                raise InvalidInput(f"roles: {error}") from error
            user = services.accounts.change_roles(user_id, chosen, actor=_actor(principal), reason=reason)
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"{user.name} now has the roles: {', '.join(sorted(user.roles))}.")


@router.post("/users/{user_id}/email")
def set_email(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    try:
        with savepoint(services.session):
            saved = services.accounts.set_email(user_id, email, actor=_actor(principal))
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"E-mail set to {saved}." if saved else "E-mail address removed.")


@router.post("/users/{user_id}/password")
def reset_password(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    password: Annotated[str, Form(max_length=200)],
    confirm: Confirm = "",
) -> Response:
    try:
        with savepoint(services.session):
            _confirmed(confirm, "reset this password")
            ended = services.accounts.reset_password(user_id, new=password, actor=_actor(principal))
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"Password reset; {ended} session(s) ended.")


@router.post("/users/{user_id}/second-factor/reset")
def reset_second_factor(
    principal: Admin, request: Request, services: ServicesDep, user_id: str, confirm: Confirm = ""
) -> Response:
    try:
        with savepoint(services.session):
            _confirmed(confirm, "remove this second factor")
            services.accounts.reset_second_factor(user_id, actor=_actor(principal))
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, "Second factor removed; they may set up a new one.")


@router.post("/users/{user_id}/tokens")
def issue_token(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    label: Annotated[str, Form(max_length=120)] = "",
    days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> Response:
    try:
        with savepoint(services.session):
            issued = services.accounts.issue_token(user_id, actor=_actor(principal), label=label, days=days)
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"Token {issued.info.id} issued.", token=issued.token)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    principal: Admin, request: Request, services: ServicesDep, token_id: str, confirm: Confirm = ""
) -> Response:
    token = services.accounts.token(token_id)
    try:
        with savepoint(services.session):
            _confirmed(confirm, f"revoke token {token_id}")
            token = services.accounts.revoke_token(token_id, actor=_actor(principal))
    except HustingsError as error:
        return _refused(request, services, token.user_id, error)
    return _after(request, services, token.user_id, f"Token {token.id} revoked.")


def _actor(principal: Principal) -> str:
    return user_actor(principal.user.id)


@router.get("/access-log")
def access_log(_: Admin, request: Request, services: ServicesDep) -> Response:
    names = {user.id: user.name for user in services.users.all()}
    return render(request, "admin/access.html", {"rows": services.users.access_log(), "names": names})
