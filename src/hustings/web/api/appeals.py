"""Appeals: POST /v1/appeals records the author's appeal (once per actioned item);
POST /v1/appeals/{message_id}/decision decides it (a different moderator than the decider)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.moderation.events import Action
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1/appeals", tags=["appeals"])
# Authors are accounts on other platforms; staff record the appeal the author sent them.
AppealRecorder = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE))]
Moderator = Annotated[Principal, Depends(allow(Role.MODERATOR))]


class AppealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(max_length=40)
    reason: str = Field(min_length=1, max_length=5000, description="The author's grounds for appeal.")


class AppealFiledPublic(BaseModel):
    appeal_id: str
    message_id: str
    state: str


class AppealDecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "reversed"]
    reasons: str = Field(min_length=1, max_length=5000)
    new_action: Action | None = Field(
        default=None, description="For a reversal: the action now in force (default no_action)."
    )


class AppealDecidedPublic(BaseModel):
    message_id: str
    outcome: str
    action_in_force: str
    state: str


@router.post("", response_model=AppealFiledPublic, status_code=201)
def create_appeal(body: AppealCreate, principal: AppealRecorder, services: ServicesDep) -> Any:
    appeal_id, status = services.moderation.file_appeal(
        message_id=body.message_id, recorded_by=principal.user, reason=body.reason
    )
    return AppealFiledPublic(appeal_id=appeal_id, message_id=body.message_id, state=status.state)


@router.post("/{message_id}/decision", response_model=AppealDecidedPublic)
def decide(message_id: str, body: AppealDecisionCreate, principal: Moderator, services: ServicesDep) -> Any:
    status = services.moderation.decide_appeal(
        moderator=principal.user,
        message_id=message_id,
        outcome=body.outcome,
        reasons=body.reasons,
        new_action=body.new_action,
    )
    return AppealDecidedPublic(
        message_id=message_id,
        outcome=body.outcome,
        action_in_force=str(status.data.get("action_in_force")),
        state=status.state,
    )
