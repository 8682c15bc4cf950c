"""Your notifications: what Hustings told you of (a clock about to run out, a pile-on, a decision
on something you reported), newest first, with the count shown in the header until read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import ALL_ROLES
from hustings.errors import HustingsError
from hustings.storage.database import savepoint
from hustings.web.deps import AnyUser, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/notifications", include_in_schema=False)
NAV = [NavItem("Notifications", "/notifications", frozenset(ALL_ROLES), order=93)]


@router.get("")
def notifications_page(principal: AnyUser, request: Request, services: ServicesDep) -> Response:
    user_id = principal.user.id
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": services.notifications.inbox(user_id),
            "email": services.accounts.email(user_id),
            "email_configured": services.settings.smtp_host is not None,
        },
    )


@router.post("/read")
def mark_read(
    principal: AnyUser,
    request: Request,
    services: ServicesDep,
    notification: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Mark one notification read (and follow it), or all of them when none is named."""
    user_id = principal.user.id
    try:
        with savepoint(services.session):
            if notification:
                services.notifications.mark_read(user_id, notification[:100])
            else:
                services.notifications.mark_all_read(user_id)
    except HustingsError as error:
        return render(
            request, "error.html", {"status": error.status_code, "message": str(error)}, error.status_code
        )
    if notification and len(notification) == 1:
        link = next(
            (n.link for n in services.notifications.inbox(user_id, 1000) if n.id == notification[0]), ""
        )
        if link.startswith("/") and not link.startswith("//"):
            return RedirectResponse(link, status_code=303)
    return RedirectResponse("/notifications", status_code=303)
