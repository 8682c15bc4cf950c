"""Events and statuses: the immutable log and the state derived from it.

Every change of state in Hustings is an `Event`. The current `Status` of a subject (a message
under moderation, an incident, a referral, a case...) is what a pure reducer makes of the events
about it, in order. Statuses are stored beside the log for queries, written in the same
transaction as the event, and can always be rebuilt from the log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

SYSTEM_ACTOR = "system"


def user_actor(user_id: str) -> str:
    return f"user:{user_id}"


def model_actor(model: str) -> str:
    return f"model:{model}"


@dataclass(frozen=True, slots=True)
class Event:
    """One immutable fact: who (`actor`) did what (`kind`) to which subject, when and why.

    `idempotency_key` is unique across the log: appending an event whose key is already
    there changes nothing. `model` is "name@version" when a model acted or assisted.
    `payload` must be JSON-serialisable. `seq` is the log position, assigned on append.
    """

    kind: str
    subject_type: str
    subject_id: str
    actor: str
    occurred_at: datetime
    idempotency_key: str
    reason: str = ""
    model: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None

    @property
    def subject(self) -> tuple[str, str]:
        return (self.subject_type, self.subject_id)


@dataclass(frozen=True, slots=True)
class Status:
    """The current state of one subject, as its reducer derived it from the log.

    `data` is reducer-defined and JSON-serialisable (datetimes as ISO strings). The other fields
    are projections that queues filter and sort on, so they are indexed columns in storage.
    """

    subject_type: str
    subject_id: str
    state: str
    data: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None
    target_id: str | None = None
    priority: float = 0.0
    due_at: datetime | None = None
    assignee: str | None = None
    cluster_id: str | None = None
    event_count: int = 0
    updated_at: datetime | None = None

    @property
    def subject(self) -> tuple[str, str]:
        return (self.subject_type, self.subject_id)

    def evolve(self, **changes: Any) -> Status:
        return replace(self, **changes)


def next_event(
    kind: str,
    subject_type: str,
    subject_id: str,
    *,
    actor: str,
    at: datetime,
    count: int,
    payload: Mapping[str, Any],
    reason: str = "",
) -> Event:
    """The next event on a subject that has `count` events, keyed `kind:subject:count`: two
    writers acting on the same state write the same key, so the second is refused."""
    return Event(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{kind}:{subject_id}:{count}",
        reason=reason,
        payload=dict(payload),
    )


Reducer = Callable[[Status | None, Event], Status]
"""A pure function: the status before an event (None for a new subject) and the event, to the status after."""


def initial_status(event: Event, state: str) -> Status:
    return Status(subject_type=event.subject_type, subject_id=event.subject_id, state=state)
