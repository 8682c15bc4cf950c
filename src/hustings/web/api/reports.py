"""Reports: POST /v1/reports to file one, GET /v1/reports (mine) and /v1/reports/{id} to see what
happened, in words, without the moderator's identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hustings.errors import NotFound
from hustings.messages.events import SUBJECT
from hustings.moderation.events import REPORT_FILED, FiledReport
from hustings.moderation.reports import (
    CATEGORIES,
    file_report,
    message_id_of,
    report_view,
    reporter_kind_for,
)
from hustings.storage.moderation import ModerationReads
from hustings.web.deps import AnyUser, ServicesDep

router = APIRouter(prefix="/v1/reports", tags=["reports"])
# Anyone signed in may report: targets and delegates, trusted flaggers, and every other user (a notice).
Reporter = AnyUser


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(max_length=40)
    category: str = Field(description=f"One of: {', '.join(CATEGORIES)}.")
    claims_illegal: bool = False
    note: str = Field(default="", max_length=2000)


class ReportFiledPublic(BaseModel):
    report_id: str
    message_id: str
    reporter_kind: str
    repeat: bool = Field(description="True if you had already reported this message; it counts once.")


class ReportPublic(BaseModel):
    report_id: str
    message_id: str
    filed_at: str | None
    category: str
    claims_illegal: bool
    note: str
    repeat: bool
    stage: str = Field(description="received, under_review, decided, appealed or appeal_decided.")
    outcome: str = Field(description="What happened, in words.")
    decided_at: str | None


@router.post("", response_model=ReportFiledPublic, status_code=201)
def create_report(body: ReportCreate, principal: Reporter, services: ServicesDep) -> Any:
    """Report a message. Your reporter kind (target, delegate, trusted flagger, user) comes from your role."""
    message = services.messages.get(body.message_id)
    if message is None:
        raise NotFound(f"message_id: no message {body.message_id!r}")
    outcome = file_report(
        services.log,
        services.clock,
        message_id=message.id,
        reporter=principal.user,
        reporter_kind=reporter_kind_for(principal.user, message.target_ids),
        category=body.category,
        claims_illegal=body.claims_illegal,
        note=body.note,
    )
    return ReportFiledPublic(
        report_id=outcome.report_id,
        message_id=outcome.message_id,
        reporter_kind=outcome.reporter_kind.value,
        repeat=outcome.repeat,
    )


@router.get("", response_model=list[ReportPublic])
def my_reports(principal: Reporter, services: ServicesDep) -> Any:
    """Your reports, newest first, each with what happened to it."""
    events = ModerationReads(services.session).reports_by(principal.user.id)
    statuses = ModerationReads(services.session).statuses([event.subject_id for event in events])
    return [
        report_view(event, statuses[event.subject_id]) for event in events if event.subject_id in statuses
    ]


@router.get("/{report_id}", response_model=ReportPublic)
def read_report(report_id: str, principal: Reporter, services: ServicesDep) -> Any:
    """One of your reports and its outcome. Someone else's report is "not found"."""
    message_id = message_id_of(report_id)
    for event in services.events.events_for(SUBJECT, message_id):
        if event.kind != REPORT_FILED:
            continue
        report = FiledReport.from_event(event)
        if report.report_id == report_id and report.reporter_id == principal.user.id:
            status = services.events.status(SUBJECT, message_id)
            if status is not None:
                return report_view(event, status)
    raise NotFound(f"report_id: no report {report_id!r} of yours")
