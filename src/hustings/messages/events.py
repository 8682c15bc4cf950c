"""The message subject: the kinds of event a message takes, and the reducer of its status.

A message's status is its life as an item of moderation work (see `hustings.moderation.status`
for the states). `message.ingested`, `message.assessed`, `message.edited` and
`message.deleted_at_source` are the message's own events; the rest (`report.filed`, `item.claimed`, `decision.made`...) are moderation's, listed in
`hustings.moderation.events`.

The reducer is pure: no storage, no clock, no policy file (everything time- or policy-dependent
travels in the event payload), so rebuilding status from the log always gives the same answer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from hustings.clock import iso, parse_iso
from hustings.events.model import Event, Status, initial_status
from hustings.moderation.events import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    CLOCK_BREACHED,
    CLUSTER_JOINED,
    DECISION_MADE,
    ITEM_CLAIMED,
    ITEM_ESCALATED,
    ITEM_ESCALATION_WITHDRAWN,
    ITEM_RELEASED,
    ITEM_SKIP_UNDONE,
    ITEM_SKIPPED,
    REPORT_FILED,
    ReporterKind,
)
from hustings.moderation.status import (
    CLOCK_HOURS_MANIFESTLY_ILLEGAL,
    CLOCK_HOURS_OTHERWISE,
    ItemState,
    base_priority,
)

SUBJECT = "message"
"""The subject type of a message's events; the subject id is the message id."""

MESSAGE_INGESTED = "message.ingested"
MESSAGE_ASSESSED = "message.assessed"


class MessageIngested(TypedDict):
    source: str
    author_id: str  # the author's key, "<source>:<external id>"
    target_ids: list[str]
    created_at: str | None  # ISO time the source gives for the message
    lang: NotRequired[str | None]  # BCP 47, as the source gives it (absent in older events)


# `message.assessed` carries `Assessment.to_json()` (hustings.detect.assessment) as its payload.

MESSAGE_EDITED = "message.edited"
MESSAGE_DELETED_AT_SOURCE = "message.deleted_at_source"


class MessageEdited(TypedDict):
    """The source says the message now reads `text`; what was received first is never overwritten."""

    text: str
    edited_at: str | None  # ISO time the source gives for the edit
    revision: str  # the SHA-256 of `text`
    previous: str  # the revision it replaced (the text as received, or the last edit's)


class MessageDeletedAtSource(TypedDict):
    deleted_at: str | None  # ISO time the source gives for the deletion


def revision_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def message_edited(
    message_id: str,
    text: str,
    *,
    previous: str,
    edited_at: datetime | None,
    actor: str,
    at: datetime,
    source: str,
) -> Event:
    """`message.edited`: the text the source now gives in place of revision `previous`, keyed by
    both, so the same edit read again is refused as a duplicate."""
    revision = revision_of(text)
    payload: MessageEdited = {
        "text": text,
        "edited_at": iso(edited_at),
        "revision": revision,
        "previous": previous,
    }
    return Event(
        kind=MESSAGE_EDITED,
        subject_type=SUBJECT,
        subject_id=message_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{MESSAGE_EDITED}:{message_id}:{previous[:16]}:{revision}",
        reason=f"edited at {source}",
        payload=dict(payload),
    )


def message_deleted_at_source(
    message_id: str, *, deleted_at: datetime | None, actor: str, at: datetime, source: str
) -> Event:
    """`message.deleted_at_source`: the author (or the platform) removed it; Hustings keeps it."""
    payload: MessageDeletedAtSource = {"deleted_at": iso(deleted_at)}
    return Event(
        kind=MESSAGE_DELETED_AT_SOURCE,
        subject_type=SUBJECT,
        subject_id=message_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{MESSAGE_DELETED_AT_SOURCE}:{message_id}",
        reason=f"deleted at {source}",
        payload=dict(payload),
    )


def _reported(current: Status, event: Event, data: dict[str, Any]) -> Status:
    payload = event.payload
    reporter = str(payload.get("reporter_id", event.actor))
    reporters: list[str] = list(data.get("reporters", []))
    repeat = reporter in reporters
    if not repeat:
        reporters.append(reporter)
    kinds: list[str] = list(data.get("reporter_kinds", []))
    kind = str(payload.get("reporter_kind", ReporterKind.USER.value))
    if kind not in kinds:
        kinds.append(kind)
    manifest = bool(payload.get("manifestly_illegal", False))
    first_notice = parse_iso(data.get("first_notice_at")) or event.occurred_at
    hours = int(
        payload.get("clock_hours", CLOCK_HOURS_MANIFESTLY_ILLEGAL if manifest else CLOCK_HOURS_OTHERWISE)
    )
    due = first_notice + timedelta(hours=hours)
    # A later notice can shorten the clock (it is counted from the first notice) but never lengthen it.
    if current.due_at is not None and current.due_at < due:
        due = current.due_at
    data.update(
        reporters=reporters,
        reporter_kinds=kinds,
        report_ids=[*data.get("report_ids", []), str(payload.get("report_id", ""))],
        report_count=int(data.get("report_count", 0)) + 1,
        distinct_reporters=len(reporters),
        repeat_reports=int(data.get("repeat_reports", 0)) + (1 if repeat else 0),
        first_notice_at=iso(first_notice),
        manifestly_illegal=bool(data.get("manifestly_illegal")) or manifest,
        claims_illegal=bool(data.get("claims_illegal")) or bool(payload.get("claims_illegal")),
    )
    if "lane_hours" in payload:
        _enter_lane(data, event.occurred_at + timedelta(hours=int(payload["lane_hours"])), event)
    opens = current.state in {ItemState.INGESTED, ItemState.ASSESSED}
    category = current.category if current.state not in {ItemState.INGESTED, ItemState.ASSESSED} else None
    return current.evolve(
        state=ItemState.REPORTED if opens else current.state,
        data=data,
        category=category or str(payload.get("category", "other")),
        due_at=due,
        priority=base_priority(data),
    )


def _enter_lane(data: dict[str, Any], due: datetime, event: Event) -> None:
    """A trusted flagger's report puts the item in the priority lane, due `due`; a later one can
    bring the due time forward (a threat after abuse), never push it back."""
    current = parse_iso(data.get("lane_due_at"))
    if "lane_entered_at" not in data:
        data["lane_entered_at"] = iso(event.occurred_at)
    if current is None or due < current:
        data["lane_due_at"] = iso(due)


def _first_action(data: dict[str, Any], event: Event) -> None:
    """The lane's service level is met by the first claim, escalation or decision."""
    if "lane_due_at" in data and "lane_first_action_at" not in data:
        data["lane_first_action_at"] = iso(event.occurred_at)


def reduce_message(status: Status | None, event: Event) -> Status:
    """Fold one event into a message subject's status."""
    current = status or initial_status(event, state=ItemState.INGESTED)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    kind = event.kind
    if kind == MESSAGE_INGESTED:
        data.update(
            source=payload.get("source"),
            author_id=payload.get("author_id"),
            target_ids=list(payload.get("target_ids", [])),
            created_at=payload.get("created_at"),
            lang=payload.get("lang"),
        )
        targets = data["target_ids"]
        return current.evolve(
            state=current.state if status else ItemState.INGESTED,
            data=data,
            target_id=targets[0] if targets else current.target_id,
        )
    if kind == MESSAGE_ASSESSED:
        flagged = list(payload.get("flagged", []))
        data.update(flagged=flagged, severity=float(payload.get("severity", 0.0)), model=event.model)
        return current.evolve(
            state=ItemState.ASSESSED if current.state == ItemState.INGESTED else current.state,
            data=data,
            category=current.category or (flagged[0] if flagged else None),
            priority=max(current.priority, base_priority(data)),
        )
    if kind == MESSAGE_EDITED:
        data.update(
            edits=int(data.get("edits", 0)) + 1,
            edited_at=payload.get("edited_at") or iso(event.occurred_at),
            revision=payload.get("revision"),
        )
        return current.evolve(data=data)
    if kind == MESSAGE_DELETED_AT_SOURCE:
        data["deleted_at_source"] = payload.get("deleted_at") or iso(event.occurred_at)
        return current.evolve(data=data)
    if kind == REPORT_FILED:
        return _reported(current, event, data)
    if kind in {ITEM_CLAIMED, ITEM_ESCALATED, DECISION_MADE}:
        _first_action(data, event)
    if kind == ITEM_CLAIMED:
        data.update(return_state=current.state, claimed_at=iso(event.occurred_at))
        return current.evolve(state=ItemState.CLAIMED, data=data, assignee=str(payload["moderator_id"]))
    if kind in {ITEM_RELEASED, ITEM_SKIPPED}:
        # Skipping an unclaimed item only marks it as skipped by this moderator.
        back = current.state
        if current.state == ItemState.CLAIMED:
            back = str(data.pop("return_state", ItemState.REPORTED))
        data.pop("claimed_at", None)
        if kind == ITEM_SKIPPED:
            moderator = str(payload.get("moderator_id", current.assignee or ""))
            data["skipped_by"] = sorted({*data.get("skipped_by", []), moderator})
        return current.evolve(state=back, data=data, assignee=None)
    if kind == ITEM_SKIP_UNDONE:
        moderator = str(payload.get("moderator_id", ""))
        data["skipped_by"] = [other for other in data.get("skipped_by", []) if other != moderator]
        return current.evolve(data=data)
    if kind == ITEM_ESCALATION_WITHDRAWN:
        for key in ("escalated_by", "escalation_reason", "escalated_at"):
            data.pop(key, None)
        return current.evolve(state=str(payload.get("back_to", ItemState.REPORTED)), data=data, assignee=None)
    if kind == ITEM_ESCALATED:
        data.pop("return_state", None)
        data.pop("claimed_at", None)
        data.update(
            escalated_by=str(payload.get("escalated_by", "")),
            escalation_reason=str(payload.get("reason", event.reason)),
            escalated_at=iso(event.occurred_at),
        )
        return current.evolve(state=ItemState.ESCALATED, data=data, assignee=None)
    if kind == DECISION_MADE:
        data.pop("return_state", None)
        data.pop("claimed_at", None)
        data["decision"] = {
            "decision_id": payload.get("decision_id"),
            "action": payload.get("action"),
            "policy_rule": payload.get("policy_rule"),
            "policy_version": payload.get("policy_version"),
            "cluster_id": payload.get("cluster_id"),
            "decided_at": iso(event.occurred_at),
            "time_to_decision_seconds": payload.get("time_to_decision_seconds"),
            "within_clock": payload.get("within_clock"),
            "model": event.model,
        }
        data["decided_by"] = str(payload.get("moderator_id", ""))
        data["action_in_force"] = payload.get("action")
        return current.evolve(state=ItemState.DECIDED, data=data, assignee=None)
    if kind == APPEAL_FILED:
        data["appeal"] = {
            "appeal_id": payload.get("appeal_id"),
            "appellant_id": payload.get("appellant_id"),
            "reason": payload.get("reason"),
            "filed_at": iso(event.occurred_at),
        }
        return current.evolve(state=ItemState.APPEALED, data=data, assignee=None)
    if kind == APPEAL_DECIDED:
        data.pop("return_state", None)
        data.pop("claimed_at", None)
        data["appeal_outcome"] = {
            "appeal_id": payload.get("appeal_id"),
            "outcome": payload.get("outcome"),
            "new_action": payload.get("new_action"),
            "reasons": payload.get("reasons"),
            "decided_at": iso(event.occurred_at),
        }
        data["appeal_decided_by"] = str(payload.get("moderator_id", ""))
        data["action_in_force"] = payload.get("new_action")
        return current.evolve(state=ItemState.APPEAL_DECIDED, data=data, assignee=None)
    if kind == CLOCK_BREACHED:
        data.update(breached=True, breached_at=iso(event.occurred_at))
        return current.evolve(data=data)
    if kind == CLUSTER_JOINED:
        data["cluster_similarity"] = payload.get("similarity")
        return current.evolve(data=data, cluster_id=str(payload["cluster_id"]))
    raise ValueError(f"message subjects do not take events of kind {kind!r}")
