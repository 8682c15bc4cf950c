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
from hustings.errors import DuplicateEvent, NotFound
from hustings.events import Status, user_actor
from hustings.moderation.reports import file_report, reporter_kind_for
from hustings.services import Services
from hustings.storage.protection import SqlProtectionStore, protection_for
from hustings.targets.model import check_scope, may_see, target_scope
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

    category: str = Field(default="abuse", description="A detector label, or `other`.")
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


def visible_incident(services: Services, principal: Principal, incident_id: str) -> Status:
    status = SqlProtectionStore(services.session).status("incident", incident_id)
    if status is None or status.target_id is None or not may_see(principal.user, status.target_id):
        raise NotFound(f"incident_id: no incident {incident_id!r}, or not yours")
    return status


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
    store = SqlProtectionStore(services.session)
    return [incident_public(status) for status in store.incidents(targets, state=state)]


@router.get("/{incident_id}", response_model=IncidentPublic)
def read_incident(incident_id: str, principal: Viewer, services: ServicesDep) -> Any:
    return incident_public(visible_incident(services, principal, incident_id))


def report_incident(
    services: Services, principal: Principal, status: Status, category: str, note: str
) -> int:
    """Report every message of an incident on the caller's behalf; a message reported before counts once."""
    filed = 0
    for message_id in status.data.get("message_ids", []):
        message = services.messages.get(message_id)
        if message is None:
            continue
        try:
            file_report(
                services.log,
                services.clock,
                message_id=message_id,
                reporter=principal.user,
                reporter_kind=reporter_kind_for(principal.user, message.target_ids),
                category=category,
                note=note or f"part of pile-on incident {status.subject_id}",
                idempotency_key=f"protection.report_all:{status.subject_id}:{message_id}:{principal.user.id}",
            )
            filed += 1
        except DuplicateEvent:
            continue
    protection_for(services).record_incident_action(
        status.subject_id, "report_all", actor=user_actor(principal.user.id), count=filed
    )
    return filed


@router.post("/{incident_id}/report-all", response_model=ActionPublic)
def report_all(incident_id: str, body: ReportAll, principal: Guardian, services: ServicesDep) -> Any:
    """Report every message in the incident to moderation (one report each, repeats skipped)."""
    status = visible_incident(services, principal, incident_id)
    count = report_incident(services, principal, status, body.category, body.note)
    return ActionPublic(incident_id=incident_id, action="report_all", count=count)


@router.post("/{incident_id}/block-all", response_model=ActionPublic)
def block_all(incident_id: str, principal: Guardian, services: ServicesDep) -> Any:
    """Put every account in the incident on the target's block list."""
    visible_incident(services, principal, incident_id)
    count = protection_for(services).block_all_senders(incident_id, actor=user_actor(principal.user.id))
    return ActionPublic(incident_id=incident_id, action="block_all", count=count)


@router.post("/{incident_id}/bundle", response_model=ActionPublic)
def bundle_all(incident_id: str, principal: Guardian, services: ServicesDep) -> Any:
    """Add every message in the incident to the target's evidence bundle."""
    status = visible_incident(services, principal, incident_id)
    ids = list(status.data.get("message_ids", []))
    protection = protection_for(services)
    protection.add_to_bundle(
        str(status.target_id),
        ids,
        actor=user_actor(principal.user.id),
        note=f"pile-on incident {incident_id}",
        incident_id=incident_id,
    )
    protection.record_incident_action(
        incident_id, "bundle_all", actor=user_actor(principal.user.id), count=len(ids)
    )
    return ActionPublic(incident_id=incident_id, action="bundle_all", count=len(ids))
