"""The private-details register page of one target: for the target, their delegates and admins.

Details are listed masked; a reader may reveal one at a time (a link, so nothing is revealed
without being asked for). Forms add a detail by kind or remove one, and redirect (303) back with a
notice, or the error that stopped them. Nothing here shows a detail to anyone else.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.errors import HustingsError
from hustings.events import user_actor
from hustings.protection.private import KIND_TITLES, parse_kind
from hustings.settings import Settings
from hustings.storage.database import savepoint
from hustings.targets.model import visible_target
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import render

router = APIRouter(prefix="/private-details", include_in_schema=False)
Keeper = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]


def _back(settings: Settings, target_id: str, *, notice: str = "", error: str = "") -> RedirectResponse:
    query = urlencode(flash(settings, notice=notice, error=error))
    return RedirectResponse(
        f"/private-details/{quote(target_id)}" + (f"?{query}" if query else ""), status_code=303
    )


@router.get("/{target_id}")
def register_page(
    target_id: str,
    principal: Keeper,
    request: Request,
    services: ServicesDep,
    reveal: str = "",
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    target = visible_target(services.targets, principal.user, target_id)
    notice, error = read_flash(services.settings, notice, error, sig)
    return render(
        request,
        "protection/private_details.html",
        {
            "target": target,
            "details": services.private_details.details(target_id),
            "kinds": KIND_TITLES,
            "reveal": reveal,
            "alerts": services.private_details.alerts(target_id),
            "notice": notice,
            "error": error,
        },
    )


@router.post("/{target_id}")
def add_detail(
    target_id: str,
    principal: Keeper,
    services: ServicesDep,
    kind: Annotated[str, Form(max_length=40)],
    value: Annotated[str, Form(max_length=1000)],
) -> Response:
    visible_target(services.targets, principal.user, target_id)
    try:
        with savepoint(services.session):
            parsed = parse_kind(kind)
            services.private_details.add(target_id, parsed, value, actor=user_actor(principal.user.id))
    except HustingsError as failure:
        return _back(services.settings, target_id, error=str(failure))
    return _back(services.settings, target_id, notice=f"{KIND_TITLES[parsed]} added to the register.")


@router.post("/{target_id}/{detail_id}/remove")
def remove_detail(target_id: str, detail_id: str, principal: Keeper, services: ServicesDep) -> Response:
    visible_target(services.targets, principal.user, target_id)
    try:
        with savepoint(services.session):
            services.private_details.remove(target_id, detail_id, actor=user_actor(principal.user.id))
    except HustingsError as failure:
        return _back(services.settings, target_id, error=str(failure))
    return _back(services.settings, target_id, notice="Removed from the register.")
