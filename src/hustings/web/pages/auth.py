"""Logging in and out with a browser session (cookie + CSRF token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal
from hustings.web.deps import ANY_ROLE, PUBLIC, SESSION_COOKIE, ServicesDep
from hustings.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[None, Depends(PUBLIC)]


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


@router.get("/login")
def login_form(_: Public, request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(
    _: Public,
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    user = services.users.check_password(name.strip(), password)
    if user is None:
        return render(
            request,
            "login.html",
            {"error": "That user name and password do not match.", "name": name, "next": _safe_next(next)},
            status_code=401,
        )
    session_id, _csrf = services.users.open_session(
        user.id, now=services.clock.now(), hours=services.settings.session_hours
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        max_age=services.settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(principal: Annotated[Principal, Depends(ANY_ROLE)], services: ServicesDep) -> Response:
    if principal.session_id:
        services.users.close_session(principal.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
