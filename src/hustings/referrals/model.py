"""The referral vocabulary: events on `referral` subjects and the pure reducer over them.

A referral sends potentially criminal content to the police. Every change to it is an event on
subject type ``referral`` (created, pack built, viewed, exported, sent, status updated, outcome);
its status is what `reduce_referral` makes of them, and its chain of custody is read straight
from the same events (`chain_of_custody`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

from hustings.auth.model import User
from hustings.clock import parse_iso
from hustings.events.model import SYSTEM_ACTOR, Event, Status, initial_status

SUBJECT = "referral"

REFERRAL_CREATED = "referral.created"
REFERRAL_PACK_BUILT = "referral.pack_built"
REFERRAL_VIEWED = "referral.viewed"
REFERRAL_EXPORTED = "referral.exported"
REFERRAL_SENT = "referral.sent"
REFERRAL_STATUS_UPDATED = "referral.status_updated"
REFERRAL_OUTCOME = "referral.outcome"

REFERRAL_KINDS = (
    REFERRAL_CREATED,
    REFERRAL_PACK_BUILT,
    REFERRAL_VIEWED,
    REFERRAL_EXPORTED,
    REFERRAL_SENT,
    REFERRAL_STATUS_UPDATED,
    REFERRAL_OUTCOME,
)


class ReferralState(StrEnum):
    """Where a referral is: drafted, with a pack, sent, being handled by police, or closed."""

    DRAFT = "draft"
    PACK_BUILT = "pack_built"
    SENT = "sent"
    WITH_POLICE = "with_police"
    CLOSED = "closed"


class PoliceStatus(StrEnum):
    """What the force says it is doing, as reported back to the liaison."""

    ACKNOWLEDGED = "acknowledged"
    CRIME_RECORDED = "crime_recorded"
    UNDER_INVESTIGATION = "under_investigation"
    SUSPECT_IDENTIFIED = "suspect_identified"
    NO_FURTHER_ACTION = "no_further_action"


class Outcome(StrEnum):
    """How a referral ended."""

    CHARGED = "charged"
    CAUTION = "caution"
    COMMUNITY_RESOLUTION = "community_resolution"
    WORDS_OF_ADVICE = "words_of_advice"
    NO_FURTHER_ACTION = "no_further_action"
    WITHDRAWN = "withdrawn"
    OTHER = "other"


KNOWN_UNITS = (
    "Parliamentary Liaison and Investigation Team (PLaIT)",
    "Local force: public protection",
    "Local force: hate crime unit",
    "Counter Terrorism Policing",
    "Action Fraud",
)
"""Suggestions for the unit field; any force or unit may be named."""


class ReferralCreated(TypedDict):
    message_ids: list[str]
    incident_id: str | None
    target_id: str | None
    force: str
    unit: str
    note: str
    urgent: bool
    urgent_reasons: list[str]
    first_report_at: str | None  # ISO time of the first report.filed on any of the messages


class PackBuilt(TypedDict):
    pack_id: str
    pack_sha256: str
    items: int
    filename: str


class ReferralSent(TypedDict):
    force: str
    unit: str
    via: str  # how it went: e.g. "secure email", "in person", "police portal"
    pack_id: str | None


class StatusUpdated(TypedDict):
    police_status: str  # a PoliceStatus value
    crime_reference: str
    note: str


class OutcomeRecorded(TypedDict):
    outcome: str  # an Outcome value
    note: str


def _hours_between(start: str | None, end: datetime) -> float | None:
    began = parse_iso(start)
    if began is None:
        return None
    return round((end - began).total_seconds() / 3600, 3)


def reduce_referral(status: Status | None, event: Event) -> Status:
    """Fold one event into a referral's status. Pure: no storage, no clock."""
    current = status or initial_status(event, state=ReferralState.DRAFT.value)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    if event.kind == REFERRAL_CREATED:
        data.update(
            message_ids=list(payload.get("message_ids", [])),
            incident_id=payload.get("incident_id"),
            force=payload.get("force", ""),
            unit=payload.get("unit", ""),
            note=payload.get("note", ""),
            urgent=bool(payload.get("urgent", False)),
            urgent_reasons=list(payload.get("urgent_reasons", [])),
            first_report_at=payload.get("first_report_at"),
            created_at=event.occurred_at.isoformat(),
            created_by=event.actor,
            crime_reference="",
            police_status=None,
            outcome=None,
            packs=[],
            updates=[],
            sent_at=None,
            hours_from_first_report_to_referral=None,
        )
        return current.evolve(
            state=ReferralState.DRAFT.value,
            data=data,
            target_id=payload.get("target_id"),
            category="urgent" if data["urgent"] else "routine",
            # Urgent referrals sort first in any list of referrals.
            priority=1.0 if data["urgent"] else 0.5,
        )
    if event.kind == REFERRAL_PACK_BUILT:
        data["packs"] = [
            *data.get("packs", []),
            {
                "pack_id": payload["pack_id"],
                "pack_sha256": payload["pack_sha256"],
                "filename": payload.get("filename", ""),
                "built_at": event.occurred_at.isoformat(),
                "built_by": event.actor,
            },
        ]
        state = current.state
        if state == ReferralState.DRAFT.value:
            state = ReferralState.PACK_BUILT.value
        return current.evolve(state=state, data=data)
    if event.kind in (REFERRAL_VIEWED, REFERRAL_EXPORTED):
        # Custody only: who saw or took a copy is read from the events, not the status.
        return current
    if event.kind == REFERRAL_SENT:
        first_sent = data.get("sent_at") is None
        data.update(
            force=payload.get("force") or data.get("force", ""),
            unit=payload.get("unit") or data.get("unit", ""),
        )
        if first_sent:
            data["sent_at"] = event.occurred_at.isoformat()
            data["hours_from_first_report_to_referral"] = _hours_between(
                data.get("first_report_at"), event.occurred_at
            )
        state = current.state
        if state in (ReferralState.DRAFT.value, ReferralState.PACK_BUILT.value):
            state = ReferralState.SENT.value
        return current.evolve(state=state, data=data)
    if event.kind == REFERRAL_STATUS_UPDATED:
        reference = str(payload.get("crime_reference") or "")
        if reference:
            data["crime_reference"] = reference
        data["police_status"] = payload.get("police_status")
        data["updates"] = [
            *data.get("updates", []),
            {
                "at": event.occurred_at.isoformat(),
                "by": event.actor,
                "police_status": payload.get("police_status"),
                "crime_reference": reference,
                "note": payload.get("note", ""),
            },
        ]
        state = (
            current.state if current.state == ReferralState.CLOSED.value else ReferralState.WITH_POLICE.value
        )
        return current.evolve(state=state, data=data)
    if event.kind == REFERRAL_OUTCOME:
        data["outcome"] = payload.get("outcome")
        data["outcome_note"] = payload.get("note", "")
        data["closed_at"] = event.occurred_at.isoformat()
        return current.evolve(state=ReferralState.CLOSED.value, data=data)
    raise ValueError(f"referral subjects do not take events of kind {event.kind!r}")


@dataclass(frozen=True, slots=True)
class CustodyEntry:
    """One link in a referral's chain of custody: who did what to it, and when."""

    at: datetime
    actor: str
    action: str
    detail: str
    who: str = ""
    """The actor as an officer reads it: name, role and organisation (`describe_actor`)."""

    def to_json(self) -> dict[str, str]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "who": self.who or self.actor,
            "action": self.action,
            "detail": self.detail,
        }


_ACTIONS = {
    REFERRAL_CREATED: "created",
    REFERRAL_PACK_BUILT: "pack built",
    REFERRAL_VIEWED: "viewed",
    REFERRAL_EXPORTED: "exported",
    REFERRAL_SENT: "sent to police",
    REFERRAL_STATUS_UPDATED: "status updated",
    REFERRAL_OUTCOME: "outcome recorded",
}


def _detail(event: Event) -> str:
    payload = event.payload
    if event.kind == REFERRAL_CREATED:
        return f"{len(payload.get('message_ids', []))} message(s) for {payload.get('force') or 'a force to be chosen'}"
    if event.kind == REFERRAL_PACK_BUILT:
        return f"pack {payload.get('pack_id')} sha256 {payload.get('pack_sha256')}"
    if event.kind in (REFERRAL_VIEWED, REFERRAL_EXPORTED):
        return str(payload.get("what", ""))
    if event.kind == REFERRAL_SENT:
        unit = f" ({payload['unit']})" if payload.get("unit") else ""
        return f"to {payload.get('force', '')}{unit} via {payload.get('via', '')}"
    if event.kind == REFERRAL_STATUS_UPDATED:
        reference = f", reference {payload['crime_reference']}" if payload.get("crime_reference") else ""
        return f"{payload.get('police_status', '')}{reference}"
    if event.kind == REFERRAL_OUTCOME:
        return str(payload.get("outcome", ""))
    return ""


def describe_actor(actor: str, people: Mapping[str, User], organisation: str = "") -> str:
    """Who an event's actor is, for a chain of custody: ``Sam Okafor (moderator, Fenshire
    Council)`` for a user (their own organisation, or where they have none the installation's,
    `organisation`), the login name for the command line, Hustings itself for the system.
    An actor no longer known is shown as its id, so nothing is hidden."""
    kind, _, name = actor.partition(":")
    if kind == "user":
        user = people.get(name)
        if user is None:
            return f"{actor} (no longer a user)"
        roles = ", ".join(sorted(role.value for role in user.roles)) or "no role"
        about = ", ".join(part for part in (roles, user.organisation or organisation) if part)
        return f"{user.display_name or user.name} ({about})"
    if kind == "cli":
        return f"{name or 'an operator'} (command line{', ' + organisation if organisation else ''})"
    if actor == SYSTEM_ACTOR:
        return f"Hustings, automatically{' (' + organisation + ')' if organisation else ''}"
    return actor


def chain_of_custody(
    events: Iterable[Event], people: Mapping[str, User] | None = None, organisation: str = ""
) -> list[CustodyEntry]:
    """Every event on a referral, in log order, as custody entries, each naming who acted
    from `people` (users by id)."""
    known = people or {}
    return [
        CustodyEntry(
            at=event.occurred_at,
            actor=event.actor,
            action=_ACTIONS[event.kind],
            detail=_detail(event),
            who=describe_actor(event.actor, known, organisation),
        )
        for event in events
        if event.subject_type == SUBJECT and event.kind in _ACTIONS
    ]


def new_referral_id() -> str:
    import uuid

    return "r_" + uuid.uuid4().hex[:16]


def referral_event(
    kind: str,
    referral_id: str,
    *,
    actor: str,
    at: datetime,
    payload: dict[str, Any] | Any,
    reason: str = "",
    key: str | None = None,
) -> Event:
    """An event on a referral. Views and exports repeat, so their keys carry a fresh nonce."""
    import uuid

    return Event(
        kind=kind,
        subject_type=SUBJECT,
        subject_id=referral_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=key or f"{kind}:{referral_id}:{uuid.uuid4().hex}",
        reason=reason,
        payload=dict(payload),
    )


def message_ids_of(referral: Status) -> Sequence[str]:
    return list(referral.data.get("message_ids", []))
