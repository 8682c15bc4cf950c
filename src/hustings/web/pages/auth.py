"""Logging in and out with a browser session (cookie + CSRF token).

The login form is guarded like every other form, and more (see `hustings.auth.login`): a CSRF
token (a signed double submit, as there is no session yet), back-off after failed logins (429
with ``Retry-After``), the same work for unknown names as for real ones, and every failed login
written to the access log with the address it came from, never the password.

A user with a second factor enrolled gives their password, then a one-time code (or a recovery
code) on a second form before a session is opened; between the two, only a short-lived
"login pending" cookie, scoped to ``/login`` and same-site strict, says whose login it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.accounts import CodesExhausted
from hustings.auth.login import (
    LoginAttempt,
    address_group,
    device_id,
    form_token,
    form_token_matches,
    name_fingerprint,
    new_device_cookie,
    new_form_nonce,
)
from hustings.auth.model import Principal, User
from hustings.errors import InvalidInput, NotAuthenticated
from hustings.services import Services
from hustings.web.deps import ANY_ROLE, CSRF_REFUSED, PUBLIC, SESSION_COOKIE, ServicesDep
from hustings.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[None, Depends(PUBLIC)]
PENDING_COOKIE = "hustings_login_pending"
LOGIN_COOKIE = "hustings_login"
"""The login form's CSRF nonce; the form carries its signature."""
DEVICE_COOKIE = "hustings_device"
"""A trusted device: this browser has logged in as the name it is signed for."""
DEVICE_DAYS = 400  # browsers keep a cookie 400 days at most
NO_MATCH = "That user name and password do not match."


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


def _form(request: Request, services: Services, context: dict[str, Any], status_code: int = 200) -> Response:
    """The login page, its form carrying the CSRF token for this browser's login cookie."""
    secret = services.settings.secret_key.get_secret_value()
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    fresh = not 16 <= len(nonce) <= 64
    if fresh:
        nonce = new_form_nonce()
    response = render(
        request, "login.html", {**context, "csrf_token": form_token(secret, nonce)}, status_code=status_code
    )
    if fresh:
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            path="/login",
            httponly=True,
            samesite="lax",
            secure=services.settings.cookie_secure,
        )
    return response


def _address(request: Request) -> str:
    return address_group(request.client.host if request.client else None)


def _record_failure(services: Services, name: str, address: str, why: str) -> None:
    """One access-log line per failed login: whose name (or a fingerprint of an unknown one),
    from where, and why; never the password."""
    user = services.users.by_name(name)
    who = (
        user.id
        if user is not None
        else "unknown:" + name_fingerprint(services.settings.secret_key.get_secret_value(), name)
    )
    services.users.record_access(
        who, "login_failed", f"/login from {address}: {why}", now=services.clock.now()
    )


def _trust_this_device(response: Response, services: Services, name: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        new_device_cookie(services.settings.secret_key.get_secret_value(), name),
        path="/login",
        max_age=DEVICE_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
    )


@router.get("/login")
def login_form(_: Public, request: Request, services: ServicesDep, next: str | None = None) -> Response:
    return _form(request, services, {"next": _safe_next(next)})


@router.post("/login")
def login(
    _: Public,
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    name = name.strip()
    secret = services.settings.secret_key.get_secret_value()
    address = _address(request)
    again = {"name": name, "next": _safe_next(next)}
    if not form_token_matches(secret, request.cookies.get(LOGIN_COOKIE), csrf_token):
        _record_failure(services, name, address, "csrf_token missing or wrong")
        return _form(request, services, {**again, "error": CSRF_REFUSED}, status_code=403)

    now = services.clock.now()
    attempt = _attempt(request, services, name)
    backoff = services.login_backoff
    user = None
    code_to_come = False
    wait = backoff.wait(attempt, now)
    if wait is None:
        user = services.users.check_password(name, password)
        # The right password with a second factor to come is not yet a login: the code settles it.
        code_to_come = user is not None and services.accounts.second_factor_required(user)
        wait = backoff.settle(attempt, now, succeeded=user is not None, complete=not code_to_come)
    if wait is not None:
        _record_failure(services, name, address, f"backed off, {wait} s to wait")
        refused = _form(request, services, {**again, "error": _wait_message(wait)}, status_code=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    if user is None:
        _record_failure(services, name, address, "wrong name or password")
        return _form(request, services, {**again, "error": NO_MATCH}, status_code=401)

    if code_to_come:
        return ask_for_second_factor(services, user, _safe_next(next))
    return start_session(services, user, _safe_next(next))


def _attempt(request: Request, services: Services, name: str) -> LoginAttempt:
    """The login as the back-off counts it: the name, this address, this browser if it is trusted."""
    secret = services.settings.secret_key.get_secret_value()
    return LoginAttempt(name, _address(request), device_id(secret, name, request.cookies.get(DEVICE_COOKIE)))


def _wait_message(wait: int) -> str:
    return f"Too many failed logins. Wait {wait} seconds, then try again."


def start_session(services: Services, user: User, next_path: str) -> Response:
    """Open a browser session for `user` (commits it) and send them on to `next_path`."""
    session_id, _csrf = services.users.open_session(
        user.id, now=services.clock.now(), hours=services.settings.session_hours
    )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        max_age=services.settings.session_hours * 3600,
    )
    _trust_this_device(response, services, user.name)
    return response


@router.post("/logout")
def logout(principal: Annotated[Principal, Depends(ANY_ROLE)], services: ServicesDep) -> Response:
    if principal.session_id:
        services.users.close_session(principal.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---------------------------------------------------------------- the second step: a one-time code


def ask_for_second_factor(services: Services, user: User, next_path: str) -> Response:
    """The password was right and a second factor is enrolled: hold the login and ask for a code."""
    challenge = services.accounts.begin_second_factor(user, next_path)
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


def _login_again(request: Request, services: Services, error: NotAuthenticated) -> Response:
    response = _form(request, services, {"error": str(error), "next": "/"}, status_code=401)
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
    now = services.clock.now()
    try:
        held = services.accounts.pending_login(challenge)
    except NotAuthenticated as error:
        return _login_again(request, services, error)
    holder = services.users.get(held.user_id)
    # A code counts against the same back-off keys as a password: the user's name, this address
    # or this trusted browser. While any is blocked the code is not checked.
    attempt = _attempt(request, services, holder.name if holder else held.user_id)
    backoff = services.login_backoff
    wait = backoff.wait(attempt, now)
    if wait is not None:
        return _code_refused(request, services, held.user_id, wait)
    try:
        user, next_path = services.accounts.finish_second_factor(challenge, code)
    except (InvalidInput, CodesExhausted) as error:
        services.users.record_access(held.user_id, "second_factor_failed", "/login/second-factor", now=now)
        wait = backoff.settle(attempt, now, succeeded=False)
        if isinstance(error, CodesExhausted):
            return _login_again(request, services, error)
        if wait is not None:
            return _code_refused(request, services, held.user_id, wait)
        return render(request, "login_second_factor.html", {"error": str(error)}, status_code=401)
    except NotAuthenticated as error:
        # Answered, not raised: the unit of work commits, so the spent login stays spent.
        return _login_again(request, services, error)
    wait = backoff.settle(attempt, now, succeeded=True)
    if wait is not None:  # a concurrent failure blocked a key meanwhile: refused, right or not
        _record_failure(services, user.name, _address(request), f"backed off, {wait} s to wait")
        refused = _form(request, services, {"error": _wait_message(wait), "next": "/"}, status_code=429)
        refused.headers["Retry-After"] = str(wait)
        refused.delete_cookie(PENDING_COOKIE, path="/login")
        return refused
    response = start_session(services, user, next_path)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


def _code_refused(request: Request, services: Services, user_id: str, wait: int) -> Response:
    """The second step while the back-off blocks this login: the code is not checked."""
    where = f"/login/second-factor from {_address(request)}: backed off, {wait} s to wait"
    services.users.record_access(user_id, "login_failed", where, now=services.clock.now())
    refused = render(request, "login_second_factor.html", {"error": _wait_message(wait)}, status_code=429)
    refused.headers["Retry-After"] = str(wait)
    return refused
