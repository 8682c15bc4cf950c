"""Your account: change your password, see and revoke your API tokens, enrol a second factor.

The second factor is for staff roles (`hustings.auth.second_factor.STAFF_ROLES`): the page shows
a QR code of the provisioning URI (and the secret, to type in), and enrolment takes effect once a
code from the app is entered; the recovery codes are shown then, once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from hustings.auth.model import ALL_ROLES, Principal
from hustings.auth.second_factor import STAFF_ROLES, qr_svg
from hustings.errors import HustingsError, InvalidInput
from hustings.events import user_actor
from hustings.storage.database import savepoint
from hustings.web.deps import AnyUser, ServicesDep, allow
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/account", include_in_schema=False)
NAV = [NavItem("Account", "/account", frozenset(ALL_ROLES), order=95)]
Staff = Annotated[Principal, Depends(allow(*sorted(STAFF_ROLES)))]
Code = Annotated[str, Form(max_length=40)]


def _no_store(response: Response) -> Response:
    # These pages can show secrets (a TOTP key, recovery codes): keep them out of every cache.
    response.headers["cache-control"] = "no-store"
    return response


def _account_page(
    request: Request, services: ServicesDep, principal: Principal, status_code: int = 200, **context: object
) -> Response:
    user = principal.user
    full = {
        "tokens": services.accounts.tokens(user.id),
        "now": services.clock.now(),
        "may_enrol": services.accounts.may_enrol(user),
        "enrolled": services.accounts.second_factor_enrolled(user.id),
        "email": services.accounts.email(user.id),
        "email_configured": services.settings.smtp_host is not None,
        **context,
    }
    return _no_store(render(request, "account/index.html", full, status_code=status_code))


@router.get("")
def account(principal: AnyUser, request: Request, services: ServicesDep) -> Response:
    return _account_page(request, services, principal)


@router.post("/password")
def change_password(
    principal: AnyUser,
    request: Request,
    services: ServicesDep,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    new_password_again: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        with savepoint(services.session):
            if new_password != new_password_again:
                raise InvalidInput("new_password_again: the two new passwords differ")
            ended = services.accounts.change_password(
                principal.user.id,
                current=current_password,
                new=new_password,
                keep_session=principal.session_id,
            )
    except HustingsError as error:
        return _account_page(request, services, principal, error.status_code, error=str(error))
    notice = f"Password changed. {ended} other session(s) ended."
    return _account_page(request, services, principal, notice=notice)


@router.post("/email")
def set_email(
    principal: AnyUser, request: Request, services: ServicesDep, email: Annotated[str, Form(max_length=254)] = ""
) -> Response:
    try:
        with savepoint(services.session):
            saved = services.accounts.set_email(principal.user.id, email, actor=user_actor(principal.user.id))
    except HustingsError as error:
        return _account_page(request, services, principal, error.status_code, error=str(error))
    notice = f"Notifications will be e-mailed to {saved}." if saved else "Notifications will not be e-mailed."
    return _account_page(request, services, principal, notice=notice)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: str, principal: AnyUser, request: Request, services: ServicesDep) -> Response:
    try:
        with savepoint(services.session):
            services.accounts.revoke_token(
                token_id, actor=user_actor(principal.user.id), owner=principal.user.id
            )
    except HustingsError as error:
        return _account_page(request, services, principal, error.status_code, error=str(error))
    return _account_page(request, services, principal, notice=f"Token {token_id} revoked.")


# ---------------------------------------------------------------- the second factor


def _second_factor_page(
    request: Request, services: ServicesDep, principal: Principal, status_code: int = 200, **context: object
) -> Response:
    user_id = principal.user.id
    pending = services.accounts.pending_enrolment(user_id)
    full: dict[str, object] = {
        "enrolled": services.accounts.second_factor_enrolled(user_id),
        "codes_left": services.accounts.recovery_codes_left(user_id),
        "pending": pending,
        "qr": Markup(qr_svg(pending.uri)) if pending else None,  # noqa: S704 - segno's own SVG, no user text
        **context,
    }
    return _no_store(render(request, "account/second_factor.html", full, status_code=status_code))


@router.get("/second-factor")
def second_factor(principal: Staff, request: Request, services: ServicesDep) -> Response:
    return _second_factor_page(request, services, principal)


@router.post("/second-factor")
def start_enrolment(principal: Staff, request: Request, services: ServicesDep) -> Response:
    try:
        with savepoint(services.session):
            services.accounts.start_enrolment(principal.user.id)
    except HustingsError as error:
        return _second_factor_page(request, services, principal, error.status_code, error=str(error))
    return _second_factor_page(request, services, principal)


@router.post("/second-factor/confirm")
def confirm_enrolment(principal: Staff, request: Request, services: ServicesDep, code: Code) -> Response:
    try:
        with savepoint(services.session):
            codes = services.accounts.confirm_enrolment(principal.user.id, code)
    except HustingsError as error:
        return _second_factor_page(request, services, principal, error.status_code, error=str(error))
    return _second_factor_page(request, services, principal, recovery_codes=codes)


@router.post("/second-factor/recovery-codes")
def new_recovery_codes(principal: Staff, request: Request, services: ServicesDep, code: Code) -> Response:
    try:
        with savepoint(services.session):
            codes = services.accounts.regenerate_recovery_codes(principal.user.id, code)
    except HustingsError as error:
        return _second_factor_page(request, services, principal, error.status_code, error=str(error))
    return _second_factor_page(request, services, principal, recovery_codes=codes)
