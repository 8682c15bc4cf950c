"""Referrals to the platforms and their answers, as JSON: /v1/platform-referrals.

Moderators, triage, admins and flaggers (the election team) refer messages to a platform and
record what it answered; analysts read them and the figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal
from hustings.events import user_actor
from hustings.platforms.figures import PlatformResponse, ResponseFigures
from hustings.platforms.model import (
    MAX_MESSAGES,
    READERS,
    REFERRERS,
    Answer,
    Channel,
    ContentCheck,
    PlatformAction,
    PlatformReferral,
    PlatformReferralDraft,
    PlatformReferralState,
)
from hustings.platforms.service import AnswerDraft
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1/platform-referrals", tags=["platform referrals"])
Referrer = Annotated[Principal, Depends(allow(*REFERRERS))]
Reader = Annotated[Principal, Depends(allow(*READERS))]
ElectionFilter = Annotated[str | None, Query(max_length=200, description="Only this election's referrals.")]
Reason = Annotated[str, Field(default="", max_length=2000)]


class PlatformReferralCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(max_length=100, description="X, Meta, YouTube, TikTok, Bluesky, or free text.")
    channel: Channel
    message_ids: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=MAX_MESSAGES)
    reference: str = Field(
        default="", max_length=200, description="The platform's reference, if it gave one."
    )
    election_id: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = Field(default=None, description="When it was sent; now if not given.")
    reason: Reason


class AnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Answer
    at: datetime | None = Field(default=None, description="When the platform answered; now if not given.")
    action: PlatformAction | None = Field(default=None, description="What it did, for an actioned answer.")
    reference: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=2000, description="The platform's reason, when it declined.")


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: ContentCheck
    at: datetime | None = None
    reason: Reason


class AnswerPublic(BaseModel):
    answer: Answer
    at: datetime
    action: PlatformAction | None
    reference: str
    reason: str
    actor: str
    recorded_at: datetime


class CheckPublic(BaseModel):
    result: ContentCheck
    at: datetime
    actor: str
    reason: str


class PlatformReferralPublic(BaseModel):
    id: str
    platform: str
    channel: Channel
    message_ids: list[str]
    reference: str
    election_id: str | None
    sent_at: datetime
    sent_by: str
    state: PlatformReferralState
    action: PlatformAction | None
    declined_reason: str
    content_up: ContentCheck | None = Field(description="What the last check found, if any.")
    answers: list[AnswerPublic]
    checks: list[CheckPublic]


class HoursPublic(BaseModel):
    median: float | None
    p90: float | None


class FiguresPublic(BaseModel):
    referrals_sent: int
    actioned: int
    actioned_share: float | None
    time_to_action_hours: HoursPublic
    no_answer_after_24h_share: float | None
    no_answer_after_7d_share: float | None


class PlatformResponsePublic(FiguresPublic):
    as_of: datetime
    by_platform: dict[str, FiguresPublic]
    by_quarter: dict[str, FiguresPublic]
    by_election: dict[str, FiguresPublic]


def referral_public(referral: PlatformReferral) -> PlatformReferralPublic:
    last = referral.last_check
    return PlatformReferralPublic(
        id=referral.id,
        platform=referral.platform,
        channel=referral.channel,
        message_ids=list(referral.message_ids),
        reference=referral.reference,
        election_id=referral.election_id,
        sent_at=referral.sent_at,
        sent_by=referral.sent_by,
        state=referral.state,
        action=referral.action,
        declined_reason=referral.declined_reason,
        content_up=last.result if last else None,
        answers=[
            AnswerPublic(
                answer=a.answer,
                at=a.at,
                action=a.action,
                reference=a.reference,
                reason=a.reason,
                actor=a.actor,
                recorded_at=a.recorded_at,
            )
            for a in referral.answers
        ],
        checks=[
            CheckPublic(result=c.result, at=c.at, actor=c.actor, reason=c.reason) for c in referral.checks
        ],
    )


def _figures(figures: ResponseFigures) -> dict[str, Any]:
    return {
        "referrals_sent": figures.sent,
        "actioned": figures.actioned,
        "actioned_share": figures.actioned_share,
        "time_to_action_hours": HoursPublic(median=figures.median_hours, p90=figures.p90_hours),
        "no_answer_after_24h_share": figures.no_answer_24h_share,
        "no_answer_after_7d_share": figures.no_answer_7d_share,
    }


def response_public(response: PlatformResponse) -> PlatformResponsePublic:
    return PlatformResponsePublic(
        as_of=response.as_of,
        **_figures(response.overall),
        by_platform={k: FiguresPublic(**_figures(v)) for k, v in sorted(response.by_platform.items())},
        by_quarter={k: FiguresPublic(**_figures(v)) for k, v in sorted(response.by_quarter.items())},
        by_election={k: FiguresPublic(**_figures(v)) for k, v in sorted(response.by_election.items())},
    )


@router.get("", response_model=list[PlatformReferralPublic])
def list_platform_referrals(
    principal: Reader, services: ServicesDep, election_id: ElectionFilter = None
) -> Any:
    """Platform referrals, the latest change first."""
    return [referral_public(r) for r in services.platform_referrals.all(election_id=election_id)]


@router.post("", response_model=PlatformReferralPublic, status_code=201)
def create_platform_referral(body: PlatformReferralCreate, principal: Referrer, services: ServicesDep) -> Any:
    """Record messages sent to a platform; the same messages sent the same way again are the same referral."""
    draft = PlatformReferralDraft(
        platform=body.platform,
        channel=body.channel,
        message_ids=tuple(body.message_ids),
        reference=body.reference,
        election_id=body.election_id,
        sent_at=body.sent_at,
        reason=body.reason,
    )
    return referral_public(services.platform_referrals.refer(draft, actor=user_actor(principal.user.id)))


@router.get("/response", response_model=PlatformResponsePublic)
def platform_response(principal: Reader, services: ServicesDep, election_id: ElectionFilter = None) -> Any:
    """The platforms' measured response now: overall, by platform, quarter and election."""
    return response_public(services.platform_referrals.response(election_id=election_id))


@router.get("/{referral_id}", response_model=PlatformReferralPublic)
def read_platform_referral(referral_id: str, principal: Reader, services: ServicesDep) -> Any:
    return referral_public(services.platform_referrals.get(referral_id))


@router.post("/{referral_id}/answers", response_model=PlatformReferralPublic)
def record_answer(referral_id: str, body: AnswerCreate, principal: Referrer, services: ServicesDep) -> Any:
    """Record the platform's answer: acknowledged, actioned (with its action), declined (with its reason), or none."""
    draft = AnswerDraft(
        answer=body.answer, at=body.at, action=body.action, reference=body.reference, reason=body.reason
    )
    referral = services.platform_referrals.answer(referral_id, draft, actor=user_actor(principal.user.id))
    return referral_public(referral)


@router.post("/{referral_id}/checks", response_model=PlatformReferralPublic)
def record_check(referral_id: str, body: CheckCreate, principal: Referrer, services: ServicesDep) -> Any:
    """Record whether the content was still up when someone looked."""
    referral = services.platform_referrals.check(
        referral_id, body.result, actor=user_actor(principal.user.id), at=body.at, reason=body.reason
    )
    return referral_public(referral)
