"""Administration pages: users (with their one-time API token) and the access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hustings.auth.model import Role
from hustings.errors import HustingsError
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
    _: Admin,
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form()],
    roles: Annotated[list[str] | None, Form()] = None,
    password: Annotated[str, Form()] = "",
) -> Response:
    context: dict[str, object] = {"roles": [r.value for r in Role]}
    try:
        chosen = {Role(value) for value in roles or []}
        with savepoint(services.session):
            user = services.users.create(name, chosen, now=services.clock.now(), password=password or None)
            token = services.users.issue_token(
                user.id, now=services.clock.now(), label="created in the admin page"
            )
        context.update(created=user, token=token)
        status = 201
    except (HustingsError, ValueError) as error:
        context["error"] = str(error)
        status = 422
    context["users"] = services.users.all()
    return render(request, "admin/users.html", context, status_code=status)


@router.get("/access-log")
def access_log(_: Admin, request: Request, services: ServicesDep) -> Response:
    names = {user.id: user.name for user in services.users.all()}
    return render(request, "admin/access.html", {"rows": services.users.access_log(), "names": names})
