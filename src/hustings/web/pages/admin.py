"""Administration pages: users (with their one-time API token) and the access log.

Each user has a page of their own (``/admin/users/{user_id}``): disable or enable them, reset
their password or second factor, issue API tokens with a lifetime and revoke them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hustings.auth.model import Principal, Role
from hustings.errors import HustingsError
from hustings.events import user_actor
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.web.deps import Admin, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/admin", include_in_schema=False)
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


@router.get("/users/{user_id}")
def user_page(_: Admin, request: Request, services: ServicesDep, user_id: str) -> Response:
    return _user_page(request, services, user_id)


@router.post("/users/{user_id}/disable")
def disable_user(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        with savepoint(services.session):
            user = services.accounts.disable(user_id, actor=_actor(principal), reason=reason)
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"{user.name} is disabled; their sessions and tokens ended.")


@router.post("/users/{user_id}/enable")
def enable_user(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        with savepoint(services.session):
            user = services.accounts.enable(user_id, actor=_actor(principal), reason=reason)
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"{user.name} is enabled. Their old tokens stay revoked.")


@router.post("/users/{user_id}/password")
def reset_password(
    principal: Admin,
    request: Request,
    services: ServicesDep,
    user_id: str,
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        with savepoint(services.session):
            ended = services.accounts.reset_password(user_id, new=password, actor=_actor(principal))
    except HustingsError as error:
        return _refused(request, services, user_id, error)
    return _after(request, services, user_id, f"Password reset; {ended} session(s) ended.")


@router.post("/users/{user_id}/second-factor/reset")
def reset_second_factor(principal: Admin, request: Request, services: ServicesDep, user_id: str) -> Response:
    try:
        with savepoint(services.session):
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
def revoke_token(principal: Admin, request: Request, services: ServicesDep, token_id: str) -> Response:
    try:
        with savepoint(services.session):
            token = services.accounts.revoke_token(token_id, actor=_actor(principal))
    except HustingsError as error:
        return render(
            request, "error.html", {"status": error.status_code, "message": str(error)}, error.status_code
        )
    return _after(request, services, token.user_id, f"Token {token.id} revoked.")


def _actor(principal: Principal) -> str:
    return user_actor(principal.user.id)


@router.get("/access-log")
def access_log(_: Admin, request: Request, services: ServicesDep) -> Response:
    names = {user.id: user.name for user in services.users.all()}
    return render(request, "admin/access.html", {"rows": services.users.access_log(), "names": names})
