"""Reporters' pages: report a message, and "My reports" with what happened to each, in words.

Moderators' identities never appear here: a reporter sees the outcome, not who decided it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Role
from hustings.errors import HustingsError
from hustings.moderation.reports import CATEGORIES
from hustings.storage.database import savepoint
from hustings.web.deps import AnyUser, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/reports", include_in_schema=False)
NAV = [NavItem("My reports", "/reports", frozenset(Role), order=60)]


@router.get("")
def my_reports(principal: AnyUser, request: Request, services: ServicesDep, show: str = "") -> Response:
    """Each report with an excerpt of the message (masked where the detector flagged it, until
    `show` names that report), where moderation stands and the decision's reasons."""
    reports = services.moderation.reports_in_full(principal.user)
    for report in reports:
        report["masked"] = bool(report["flagged"]) and report["report_id"] != show
        if report["masked"]:
            report["text"] = ""
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
        with savepoint(services.session):
            outcome = services.moderation.file_report(
                message_id=message_id.strip(),
                reporter=principal.user,
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
