"""Logging in and out with a browser session (cookie + CSRF token).

A user with a second factor enrolled gives their password, then a one-time code (or a recovery
code) on a second form before a session is opened; between the two, only a short-lived
"login pending" cookie, scoped to ``/login`` and same-site strict, says whose login it is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, User
from hustings.errors import InvalidInput, NotAuthenticated
from hustings.services import Services
from hustings.web.deps import ANY_ROLE, PUBLIC, SESSION_COOKIE, ServicesDep
from hustings.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[None, Depends(PUBLIC)]
PENDING_COOKIE = "hustings_login_pending"


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
    if services.accounts.second_factor_required(user):
        return ask_for_second_factor(services, user, _safe_next(next))
    return start_session(services, user, _safe_next(next))


def start_session(services: Services, user: User, next_path: str) -> Response:
    """Open a browser session for `user` (commits it) and send them on to `next_path`."""
    session_id, _csrf = services.users.open_session(
        user.id, now=services.clock.now(), hours=services.settings.session_hours
    )
    services.session.commit()
    response = RedirectResponse(next_path, status_code=303)
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
        services.session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---------------------------------------------------------------- the second step: a one-time code


def ask_for_second_factor(services: Services, user: User, next_path: str) -> Response:
    """The password was right and a second factor is enrolled: hold the login and ask for a code."""
    challenge = services.accounts.begin_second_factor(user, next_path)
    services.session.commit()
    response = RedirectResponse("/login/second-factor", status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        challenge,
        httponly=True,
        samesite="strict",
        secure=services.settings.cookie_secure,
        max_age=services.accounts.policy.challenge_minutes * 60,
        path="/login",
    )
    return response


def _login_again(request: Request, error: NotAuthenticated) -> Response:
    response = render(request, "login.html", {"error": str(error), "next": "/"}, status_code=401)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


@router.get("/login/second-factor")
def second_factor_form(_: Public, request: Request, services: ServicesDep) -> Response:
    try:
        services.accounts.pending_login(request.cookies.get(PENDING_COOKIE) or "")
    except NotAuthenticated:
        return RedirectResponse("/login", status_code=303)
    return render(request, "login_second_factor.html")


@router.post("/login/second-factor")
def second_factor_login(
    _: Public, request: Request, services: ServicesDep, code: Annotated[str, Form(max_length=40)]
) -> Response:
    challenge = request.cookies.get(PENDING_COOKIE) or ""
    try:
        user, next_path = services.accounts.finish_second_factor(challenge, code)
    except NotAuthenticated as error:
        services.session.commit()  # the spent login stays spent
        return _login_again(request, error)
    except InvalidInput as error:
        held = services.accounts.pending_login(challenge)
        services.users.record_access(
            held.user_id, "second_factor_failed", "/login/second-factor", now=services.clock.now()
        )
        services.session.commit()  # keep the count of wrong codes
        return render(request, "login_second_factor.html", {"error": str(error)}, status_code=401)
    response = start_session(services, user, next_path)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response
