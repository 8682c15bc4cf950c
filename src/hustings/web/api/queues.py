"""Queues and the items in them: GET /v1/queues, GET /v1/queues/{name}/items, GET /v1/items/{id},
and the steps of working an item: claim, release, skip, escalate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.clock import iso
from hustings.elections.queues import narrow_queue
from hustings.events import Status
from hustings.moderation.queues import all_queues, describe_time_left, lane_due, queue, time_left
from hustings.web.deps import ServicesDep, allow
from hustings.web.params import Offset

router = APIRouter(prefix="/v1", tags=["queues"])
QueueReader = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE))]
Moderator = Annotated[Principal, Depends(allow(Role.MODERATOR))]
Sorter = Annotated[Principal, Depends(allow(Role.MODERATOR, Role.TRIAGE))]


class QueuePublic(BaseModel):
    name: str
    title: str
    count: int


class ItemSummary(BaseModel):
    message_id: str
    state: str
    category: str | None
    target_id: str | None
    priority: float = Field(description="Effective priority: severity, exposure and time left together.")
    due_at: str | None
    time_left: str
    breached: bool
    claimed: bool
    claimed_by_you: bool
    report_count: int
    distinct_reporters: int
    repeat_reports: int
    flagged: list[str]
    cluster_id: str | None
    lane_due_at: str | None = Field(
        default=None, description="In the priority lane (a trusted flagger reported it): first action due by."
    )


class EscalateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class ItemStatePublic(BaseModel):
    message_id: str
    state: str
    claimed_by_you: bool


def summary(status: Status, priority: float, *, now: datetime, reader_id: str) -> ItemSummary:
    data = status.data
    return ItemSummary(
        message_id=status.subject_id,
        state=status.state,
        category=status.category,
        target_id=status.target_id,
        priority=priority,
        due_at=iso(status.due_at),
        time_left=describe_time_left(time_left(status, now)),
        breached=bool(data.get("breached")) or (status.due_at is not None and status.due_at <= now),
        claimed=status.assignee is not None,
        claimed_by_you=status.assignee == reader_id,
        report_count=int(data.get("report_count", 0)),
        distinct_reporters=int(data.get("distinct_reporters", 0)),
        repeat_reports=int(data.get("repeat_reports", 0)),
        flagged=list(data.get("flagged", [])),
        cluster_id=status.cluster_id,
        lane_due_at=iso(lane_due(status)),
    )


def _state(status: Status, reader_id: str) -> ItemStatePublic:
    return ItemStatePublic(
        message_id=status.subject_id, state=status.state, claimed_by_you=status.assignee == reader_id
    )


@router.get("/queues", response_model=list[QueuePublic])
def list_queues(principal: QueueReader, services: ServicesDep) -> Any:
    counts = services.moderation.queue_counts(reader_id=principal.user.id)
    return [QueuePublic(name=q.name, title=q.title, count=counts.get(q.name, 0)) for q in all_queues()]


@router.get("/queues/{name}/items", response_model=list[ItemSummary])
def queue_items(
    name: str,
    principal: QueueReader,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    election: Annotated[
        str | None, Query(max_length=200, description="Only items about its candidates.")
    ] = None,
    ballot: Annotated[
        str | None, Query(max_length=200, description="Only items about its candidates.")
    ] = None,
) -> Any:
    """A page of a queue, highest priority first (the breaching queue: soonest due first; the
    lane: soonest lane due time first), narrowed to an election's or a ballot's candidates if asked."""
    spec = narrow_queue(services.elections, queue(name), election_id=election, ballot_id=ballot)
    now = services.clock.now()
    page = services.moderation.queue_page(spec, reader_id=principal.user.id, limit=limit, offset=offset)
    return [summary(entry.status, entry.priority, now=now, reader_id=principal.user.id) for entry in page]


@router.get("/items/{message_id}")
def read_item(message_id: str, principal: QueueReader, services: ServicesDep) -> Any:
    """An item with its context: reports, evidence, thread, the author's history, the cluster."""
    context = services.moderation.item_context(message_id)
    now = services.clock.now()
    return {
        "item": summary(context.status, context.priority, now=now, reader_id=principal.user.id).model_dump(),
        "text": context.message.text,
        "evidence": [
            {"text": s.text, "label": s.label, "reason": s.reason} for s in context.segments if s.label
        ],
        "labels": context.labels,
        "model": context.model,
        "reports": [
            {
                "report_id": report.report_id,
                "reporter_kind": report.reporter_kind,
                "category": report.category,
                "claims_illegal": report.claims_illegal,
                "note": report.note,
                "repeat": report.repeat,
                "filed_at": iso(report.filed_at),
            }
            for report in context.reports
        ],
        "thread": [related.message.id for related in context.thread],
        "author_history": [related.message.id for related in context.author_history],
        "cluster": [member.subject_id for member in context.cluster],
        "prior_decisions": [
            {
                "message_id": p.message_id,
                "action": p.action,
                "policy_rule": p.policy_rule,
                "decided_at": p.decided_at,
            }
            for p in context.prior
        ],
        "suggested": {"policy_rule": context.suggested_rule.id, "action": context.suggested_action.value},
        "decision": context.status.data.get("decision"),
        "appeal": context.status.data.get("appeal"),
        "appeal_outcome": context.status.data.get("appeal_outcome"),
    }


@router.post("/items/{message_id}/claim", response_model=ItemStatePublic)
def claim_item(message_id: str, principal: Moderator, services: ServicesDep) -> Any:
    """Take the item; no two moderators hold one item (409 if someone else has it)."""
    status = services.moderation.claim(moderator=principal.user, message_id=message_id)
    return _state(status, principal.user.id)


@router.post("/items/{message_id}/release", response_model=ItemStatePublic)
def release_item(message_id: str, principal: Moderator, services: ServicesDep) -> Any:
    status = services.moderation.release(moderator=principal.user, message_id=message_id)
    return _state(status, principal.user.id)


@router.post("/items/{message_id}/skip", response_model=ItemStatePublic)
def skip_item(message_id: str, principal: Moderator, services: ServicesDep) -> Any:
    status = services.moderation.skip(moderator=principal.user, message_id=message_id)
    return _state(status, principal.user.id)


@router.post("/items/{message_id}/escalate", response_model=ItemStatePublic)
def escalate_item(message_id: str, body: EscalateCreate, principal: Sorter, services: ServicesDep) -> Any:
    """Send the item to the escalated queue for a senior moderator, with the reason."""
    status = services.moderation.escalate(moderator=principal.user, message_id=message_id, reason=body.reason)
    return _state(status, principal.user.id)
