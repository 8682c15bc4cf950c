"""Queues: saved views over message statuses, sorted by priority. They have no tables.

A queue is a filter on `subject_status` (state, category, due time, assignee) and an order.
Priority combines three things:

* the item's own base priority, stored by the reducer: the detector's severity, whether the
  content is manifestly illegal, a trusted flagger's report, a claim of illegality and the number
  of distinct reporters (`hustings.moderation.status.base_priority`);
* the target's exposure, read when the queue is read: an open incident against the target (a
  pile-on under way) or a target who is a candidate;
* time left on the statutory clock, read when the queue is read, in steps.

`effective_priority` is the same formula the SQL sort uses, so the number shown is the sort key.
Clock breaches are swept into `clock.breached` events (`breach_events`), which raise the alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from hustings.clock import parse_iso
from hustings.errors import NotFound
from hustings.events import SYSTEM_ACTOR, Event, Status
from hustings.moderation.events import CLOCK_BREACHED, ClockBreached
from hustings.moderation.reports import CATEGORIES
from hustings.moderation.status import ItemState

OPEN_INCIDENT_WEIGHT = 0.4
CANDIDATE_WEIGHT = 0.2
URGENCY_STEPS: tuple[tuple[timedelta, float], ...] = (
    (timedelta(0), 1.0),  # overdue
    (timedelta(hours=6), 0.8),
    (timedelta(hours=12), 0.6),
    (timedelta(hours=24), 0.4),
)
"""(time left at most, weight): the first step an item's time left fits in applies."""
MAX_BOOST = OPEN_INCIDENT_WEIGHT + CANDIDATE_WEIGHT + max(weight for _, weight in URGENCY_STEPS)
"""The most that exposure and urgency can add to an item's base priority."""
BREACH_WINDOW = timedelta(hours=6)
"""The breaching-clock queue holds open items due within this window, and those already overdue."""
CLOCKED_STATES = (ItemState.REPORTED, ItemState.CLAIMED, ItemState.ESCALATED)
"""States in which the statutory clock runs (an appeal is not a notice)."""


@dataclass(frozen=True, slots=True)
class QueueSearch:
    """A moderator's narrowing of a queue; every part given must match."""

    target_id: str | None = None
    author: str | None = None
    """Part of the author's handle, any case."""
    label: str | None = None
    """The item's category (its first flagged label, or the report category)."""
    text: str | None = None
    """Words in the message text, any case."""
    since: date | None = None
    """Sent on or after this day (in `zone`)."""
    until: date | None = None
    """Sent on or before this day (in `zone`)."""
    zone: tzinfo = UTC
    """Where the days begin and end: the zone the pages show times in, so that a message shown
    as sent on 8 June is found by a search for 8 June."""

    @property
    def empty(self) -> bool:
        return not any((self.target_id, self.author, self.label, self.text, self.since, self.until))

    @property
    def sent_from(self) -> datetime | None:
        """The UTC moment `since` begins (inclusive)."""
        return None if self.since is None else _midnight(self.since, self.zone)

    @property
    def sent_before(self) -> datetime | None:
        """The UTC moment the day after `until` begins (exclusive)."""
        return None if self.until is None else _midnight(self.until + timedelta(days=1), self.zone)

    def matches_message(self, *, handle: str, text: str, created_at: datetime) -> bool:
        """The author, text and date parts, for a store that filters in Python."""
        start, end = self.sent_from, self.sent_before
        return (
            (not self.author or self.author.casefold().lstrip("@") in handle.casefold())
            and (not self.text or self.text.casefold() in text.casefold())
            and (start is None or created_at >= start)
            and (end is None or created_at < end)
        )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    title: str
    states: tuple[str, ...]
    category: str | None = None
    due_soon: bool = False
    """Only items due within `BREACH_WINDOW` (or overdue), soonest first."""
    mine: bool = False
    """Only items claimed by the reader."""
    lane: bool = False
    """Only items in the priority lane (a trusted flagger reported them), soonest lane due time first."""
    election_id: str | None = None
    """Only items about a candidate of this election (withdrawn ones too)."""
    ballot_id: str | None = None
    """Only items about a candidate on this ballot."""
    search: QueueSearch = field(default_factory=QueueSearch)
    """What the moderator narrowed the queue to (target, author, label, text, dates)."""


LANE_STATES = (ItemState.REPORTED, ItemState.CLAIMED, ItemState.ESCALATED)

FIXED_QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("lane", "Priority lane (trusted flaggers)", LANE_STATES, lane=True),
    QueueSpec("unreviewed", "Unreviewed", (ItemState.REPORTED,)),
    QueueSpec("breaching", "Breaching the clock", CLOCKED_STATES, due_soon=True),
    QueueSpec("escalated", "Escalated", (ItemState.ESCALATED,)),
    QueueSpec("appealed", "Appealed", (ItemState.APPEALED,)),
    QueueSpec("mine", "Claimed by me", (ItemState.CLAIMED,), mine=True),
)


TEAM = QueueSpec("team", "Who holds what", (ItemState.CLAIMED,))
"""Every claimed item, whoever holds it: the team view."""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    status: Status
    priority: float
    """The effective priority: the queue's sort key."""


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One row of a queue page: an item, and the near-duplicates of its cluster on the same page
    folded into it (the first of them, in queue order, leads)."""

    lead: QueueEntry
    folded: tuple[QueueEntry, ...] = ()

    @property
    def count(self) -> int:
        return 1 + len(self.folded)

    @property
    def message_ids(self) -> list[str]:
        return [self.lead.status.subject_id, *(entry.status.subject_id for entry in self.folded)]


def fold_near_duplicates(entries: Iterable[QueueEntry]) -> list[QueueRow]:
    """Queue entries as rows, one per near-duplicate cluster: members after the first join its row.
    Order is kept: a row stands where its leading member stood."""
    rows: list[QueueRow] = []
    at: dict[str, int] = {}
    for entry in entries:
        cluster = entry.status.cluster_id
        if cluster is not None and cluster in at:
            row = rows[at[cluster]]
            rows[at[cluster]] = QueueRow(row.lead, (*row.folded, entry))
            continue
        if cluster is not None:
            at[cluster] = len(rows)
        rows.append(QueueRow(entry))
    return rows


@dataclass(frozen=True, slots=True)
class Exposure:
    """The targets whose items rank higher when a queue is read."""

    incident_targets: frozenset[str]
    """Targets with an open incident: a pile-on under way."""
    candidate_targets: frozenset[str]


def category_queue(category: str) -> QueueSpec:
    return QueueSpec(
        category,
        f"Category: {category.replace('_', ' ')}",
        (ItemState.REPORTED, ItemState.ESCALATED),
        category=category,
    )


def all_queues() -> list[QueueSpec]:
    return [*FIXED_QUEUES, *(category_queue(category) for category in CATEGORIES)]


def queue(name: str) -> QueueSpec:
    """The queue called `name`; `NotFound` naming the queues there are."""
    for spec in all_queues():
        if spec.name == name:
            return spec
    raise NotFound(f"name: no queue {name!r} (queues: {', '.join(q.name for q in all_queues())})")


def urgency(due_at: datetime | None, now: datetime) -> float:
    if due_at is None:
        return 0.0
    left = due_at - now
    for limit, weight in URGENCY_STEPS:
        if left <= limit:
            return weight
    return 0.0


def exposure(
    target_id: str | None, open_incident_targets: AbstractSet[str], candidate_targets: AbstractSet[str]
) -> float:
    if target_id is None:
        return 0.0
    return (OPEN_INCIDENT_WEIGHT if target_id in open_incident_targets else 0.0) + (
        CANDIDATE_WEIGHT if target_id in candidate_targets else 0.0
    )


def effective_priority(
    status: Status,
    now: datetime,
    open_incident_targets: AbstractSet[str],
    candidate_targets: AbstractSet[str],
) -> float:
    """Base priority + exposure + urgency: the queue's sort key."""
    return round(
        status.priority
        + exposure(status.target_id, open_incident_targets, candidate_targets)
        + urgency(status.due_at, now),
        6,
    )


def lane_due(status: Status) -> datetime | None:
    """When the priority lane's service level runs out for an item; None outside the lane."""
    return parse_iso(status.data.get("lane_due_at"))


def lane_met(status: Status, now: datetime) -> bool | None:
    """Whether the lane's service level was met: first acted on by its due time. None while it is
    still open and not yet due, or for an item outside the lane."""
    due = lane_due(status)
    if due is None:
        return None
    first = parse_iso(status.data.get("lane_first_action_at"))
    if first is not None:
        return first <= due
    return False if now > due else None


def describe_lane(status: Status, now: datetime) -> str | None:
    """E.g. "due 01 Apr 2028 11:00 UTC, 40 min left", "met", "missed"; None outside the lane."""
    due = lane_due(status)
    if due is None:
        return None
    met = lane_met(status, now)
    when = f"due {due.strftime('%d %b %Y %H:%M')} UTC"
    if status.data.get("lane_first_action_at") is not None:
        return f"{when}: {'met' if met else 'missed'} (first acted on {status.data['lane_first_action_at'][:16]})"
    return f"{when}, {describe_time_left(due - now)}"


def time_left(status: Status, now: datetime) -> timedelta | None:
    return None if status.due_at is None else status.due_at - now


def describe_time_left(left: timedelta | None) -> str:
    """E.g. "5 h 20 min left", "overdue by 2 h 5 min", "no clock"."""
    if left is None:
        return "no clock"
    seconds = int(abs(left.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours or days else []) + [f"{minutes} min"]
    text = " ".join(parts)
    return f"overdue by {text}" if left.total_seconds() < 0 else f"{text} left"


def breach_events(statuses: Iterable[Status], now: datetime) -> list[Event]:
    """A `clock.breached` event for each open item past its due time that has not raised one."""
    events: list[Event] = []
    for status in statuses:
        if status.state not in CLOCKED_STATES or status.due_at is None or status.due_at > now:
            continue
        if status.data.get("breached"):
            continue
        payload: ClockBreached = {
            "due_at": status.due_at.isoformat(),
            "manifestly_illegal": bool(status.data.get("manifestly_illegal")),
        }
        events.append(
            Event(
                kind=CLOCK_BREACHED,
                subject_type=status.subject_type,
                subject_id=status.subject_id,
                actor=SYSTEM_ACTOR,
                occurred_at=now,
                idempotency_key=f"{CLOCK_BREACHED}:{status.subject_id}:{payload['due_at']}",
                reason="statutory clock ran out before a decision",
                payload=dict(payload),
            )
        )
    return events
