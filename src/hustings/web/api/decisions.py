"""Decisions: POST /v1/decisions (one item, or its whole cluster), and GET /v1/policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.moderation.decisions import DecisionRequest
from hustings.moderation.events import Action
from hustings.moderation.policy import load_policy
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1", tags=["decisions"])
Moderator = Annotated[Principal, Depends(allow(Role.MODERATOR))]
PolicyReader = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.ANALYST))]


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(max_length=40)
    action: Action
    policy_rule: str = Field(max_length=20, description="The id of the policy rule applied, e.g. T1.")
    decision_facts: str = Field(
        default="", max_length=5000, description="Facts relied on; drawn from the item if empty."
    )
    apply_to_cluster: bool = Field(
        default=False,
        description=(
            "Apply the same decision to every undecided member of the item's cluster. The caller "
            "must hold the claim on the item (POST /v1/items/{id}/claim), else 409 and nothing is decided."
        ),
    )
    expected_count: int | None = Field(
        default=None,
        ge=1,
        le=10000,
        description=(
            "With apply_to_cluster: how many messages (the item included) the caller was shown the "
            "decision would decide. If a different number can be decided now, 409 naming both numbers "
            "and nothing is decided."
        ),
    )


class DecisionPublic(BaseModel):
    decision_id: str
    action: str
    policy_rule: str
    policy_version: str
    decided: list[str]
    skipped: dict[str, str]
    statement: dict[str, Any] | None = Field(description="The DSA statement of reasons (None for no_action).")


@router.post(
    "/decisions",
    response_model=DecisionPublic,
    status_code=201,
    responses={
        409: {
            "description": "The item cannot be decided now: decided already, claimed by "
            "someone else, a cluster decision without holding the claim, or `expected_count` stale."
        }
    },
)
def create_decision(body: DecisionCreate, principal: Moderator, services: ServicesDep) -> Any:
    """Decide an item under a policy rule; its statement of reasons is filled from the policy.
    A cluster decision (`apply_to_cluster`) requires holding the item's claim, and may carry
    `expected_count` so a stale view of the cluster decides nothing."""
    outcome = services.moderation.decide(
        moderator=principal.user,
        request=DecisionRequest(
            message_id=body.message_id,
            action=body.action,
            policy_rule=body.policy_rule,
            decision_facts=body.decision_facts,
            apply_to_cluster=body.apply_to_cluster,
            expected_count=body.expected_count,
        ),
    )
    return DecisionPublic(
        decision_id=outcome.decision_id,
        action=outcome.action.value,
        policy_rule=outcome.policy_rule,
        policy_version=outcome.policy_version,
        decided=outcome.decided,
        skipped=outcome.skipped,
        statement=outcome.statement,
    )


@router.get("/policy")
def read_policy(_: PolicyReader) -> Any:
    """The moderation policy in force: version, rules with examples, default actions, clocks."""
    return load_policy().model_dump(mode="json")
