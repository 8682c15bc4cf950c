"""Reporters' pages: report a message, and "My reports" with what happened to each, in words.

Moderators' identities never appear here: a reporter sees the outcome, not who decided it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Role
from hustings.errors import HustingsError, NotFound
from hustings.moderation.reports import CATEGORIES, file_report, report_view, reporter_kind_for
from hustings.storage.database import savepoint
from hustings.storage.moderation import ModerationReads
from hustings.web.deps import AnyUser, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/reports", include_in_schema=False)
NAV = [NavItem("My reports", "/reports", frozenset(Role), order=60)]


@router.get("")
def my_reports(principal: AnyUser, request: Request, services: ServicesDep) -> Response:
    reads = ModerationReads(services.session)
    events = reads.reports_by(principal.user.id)
    statuses = reads.statuses([event.subject_id for event in events])
    reports = [
        report_view(event, statuses[event.subject_id]) for event in events if event.subject_id in statuses
    ]
    # Thank the reporter only for a report of theirs: a crafted link cannot put words on the page.
    filed = request.query_params.get("filed")
    shown = filed if any(report["report_id"] == filed for report in reports) else None
    return render(request, "reports/mine.html", {"reports": reports, "filed": shown})


@router.get("/new")
def new_report(principal: AnyUser, request: Request) -> Response:
    return render(
        request,
        "reports/new.html",
        {"categories": CATEGORIES, "message_id": request.query_params.get("message_id", ""), "error": None},
    )


@router.post("")
def submit_report(
    principal: AnyUser,
    request: Request,
    services: ServicesDep,
    message_id: Annotated[str, Form()],
    category: Annotated[str, Form()],
    claims_illegal: Annotated[bool, Form()] = False,
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        message = services.messages.get(message_id.strip())
        if message is None:
            raise NotFound(f"message_id: no message {message_id.strip()!r}")
        with savepoint(services.session):
            outcome = file_report(
                services.log,
                services.clock,
                message_id=message.id,
                reporter=principal.user,
                reporter_kind=reporter_kind_for(principal.user, message.target_ids),
                category=category,
                claims_illegal=claims_illegal,
                note=note,
            )
    except HustingsError as error:
        return render(
            request,
            "reports/new.html",
            {"categories": CATEGORIES, "message_id": message_id, "error": str(error)},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/reports?filed={quote(outcome.report_id)}", status_code=303)
