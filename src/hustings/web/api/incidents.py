"""Pile-on incidents: GET /v1/incidents?target=..., one incident, and acting on a whole incident.

Acting on an incident (report every message, block every sender, add every message to the
evidence bundle) is for the target, their delegates and admins; a target or delegate sees only
their own targets' incidents, and any other id answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.events import Status, user_actor
from hustings.protection.events import IncidentAction, IncidentState
from hustings.targets.model import check_scope, target_scope
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
Viewer = Annotated[
    Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.TARGET, Role.DELEGATE))
]
Guardian = Annotated[Principal, Depends(allow(Role.ADMIN, Role.TARGET, Role.DELEGATE))]


class IncidentPublic(BaseModel):
    id: str
    target_id: str
    state: str
    severity: float
    opened_at: str | None
    closed_at: str | None
    messages: int
    accounts: int
    message_ids: list[str]
    author_keys: list[str]
    stats: dict[str, Any]
    timeline: list[dict[str, Any]]


class ReportAll(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(
        default=None,
        description="A detector label, or `other`; left out, each message's own detected label.",
    )
    note: str = Field(default="", max_length=2000)


class ActionPublic(BaseModel):
    incident_id: str
    action: str
    count: int = Field(description="Messages reported, accounts blocked or messages added.")


def incident_public(status: Status) -> IncidentPublic:
    data = status.data
    return IncidentPublic(
        id=status.subject_id,
        target_id=str(status.target_id),
        state=status.state,
        severity=status.priority,
        opened_at=data.get("opened_at"),
        closed_at=data.get("closed_at"),
        messages=len(data.get("message_ids", [])),
        accounts=len(data.get("author_keys", [])),
        message_ids=list(data.get("message_ids", [])),
        author_keys=list(data.get("author_keys", [])),
        stats=dict(data.get("stats", {})),
        timeline=list(data.get("timeline", [])),
    )


@router.get("", response_model=list[IncidentPublic])
def list_incidents(
    principal: Viewer,
    services: ServicesDep,
    target: Annotated[str | None, Query(description="Only this target's incidents.")] = None,
    state: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> Any:
    """Incidents, newest first: of one target, or of every target the caller may see."""
    if target is not None:
        check_scope(principal.user, target)
        targets: list[str] | None = [target]
    else:
        scope = target_scope(principal.user)
        targets = None if scope is None else sorted(scope)
    chosen = None if state is None else IncidentState(state)
    return [incident_public(status) for status in services.protection.incidents(targets, state=chosen)]


@router.get("/{incident_id}", response_model=IncidentPublic)
def read_incident(incident_id: str, principal: Viewer, services: ServicesDep) -> Any:
    return incident_public(services.protection.visible_incident(principal.user, incident_id))


@router.post("/{incident_id}/report-all", response_model=ActionPublic)
def report_all(incident_id: str, body: ReportAll, principal: Guardian, services: ServicesDep) -> Any:
    """Report every message in the incident to moderation (one report each, repeats skipped)."""
    protection = services.protection
    protection.visible_incident(principal.user, incident_id)
    count = protection.report_incident(
        incident_id, reporter=principal.user, category=body.category, note=body.note
    )
    return ActionPublic(incident_id=incident_id, action=IncidentAction.REPORT_ALL, count=count)


@router.post("/{incident_id}/block-all", response_model=ActionPublic)
def block_all(incident_id: str, principal: Guardian, services: ServicesDep) -> Any:
    """Put every account in the incident on the target's block list."""
    protection = services.protection
    protection.visible_incident(principal.user, incident_id)
    count = protection.block_all_senders(incident_id, actor=user_actor(principal.user.id))
    return ActionPublic(incident_id=incident_id, action=IncidentAction.BLOCK_ALL, count=count)


@router.post("/{incident_id}/bundle", response_model=ActionPublic)
def bundle_all(incident_id: str, principal: Guardian, services: ServicesDep) -> Any:
    """Add every message in the incident to the target's evidence bundle."""
    protection = services.protection
    protection.visible_incident(principal.user, incident_id)
    count = protection.bundle_incident(incident_id, actor=user_actor(principal.user.id))
    return ActionPublic(incident_id=incident_id, action=IncidentAction.BUNDLE_ALL, count=count)
