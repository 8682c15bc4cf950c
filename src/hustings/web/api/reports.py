"""Reports: POST /v1/reports to file one, GET /v1/reports (mine) and /v1/reports/{id} to see what
happened, in words, without the moderator's identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hustings.moderation.reports import CATEGORIES
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
    outcome = services.moderation.file_report(
        message_id=body.message_id,
        reporter=principal.user,
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
    return services.moderation.reports_of(principal.user)


@router.get("/{report_id}", response_model=ReportPublic)
def read_report(report_id: str, principal: Reporter, services: ServicesDep) -> Any:
    """One of your reports and its outcome. Someone else's report is "not found"."""
    return services.moderation.report_of(principal.user, report_id)
