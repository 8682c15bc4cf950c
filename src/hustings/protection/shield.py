"""Shield mode: a time-boxed protection that holds messages out of the inbox, and its recap.

While the shield is on (7 days by default, extendable), messages from unknown accounts, from
new accounts and over the target's hostility threshold are held in a review folder instead of
reaching the inbox (see `hustings.protection.inbox.decide`). When it ends, the target gets a
recap of what was held and why (`recap`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hustings.clock import as_utc, iso, parse_iso
from hustings.errors import InvalidInput
from hustings.events.model import Status
from hustings.protection.events import DeliveryState, ShieldState

DEFAULT_SHIELD_DAYS = 7
MAX_SHIELD_DAYS = 28


def shield_length(days: float | None) -> timedelta:
    """The length of a shield period; raise `InvalidInput` naming `days` if out of range."""
    chosen = DEFAULT_SHIELD_DAYS if days is None else days
    if not 0 < chosen <= MAX_SHIELD_DAYS:
        raise InvalidInput(f"days: must be more than 0 and at most {MAX_SHIELD_DAYS}, got {chosen}")
    return timedelta(days=chosen)


@dataclass(frozen=True, slots=True)
class Shield:
    """A target's shield as it stands (from the `shield` subject's status)."""

    target_id: str
    state: str
    since: datetime | None = None
    until: datetime | None = None
    extended: int = 0
    suggested_by: str | None = None
    incident_id: str | None = None
    last_recap: Mapping[str, Any] | None = None

    @classmethod
    def from_status(cls, target_id: str, status: Status | None) -> Shield:
        if status is None:
            return cls(target_id=target_id, state=ShieldState.OFF)
        data = status.data
        return cls(
            target_id=target_id,
            state=status.state,
            since=parse_iso(data.get("since")),
            until=parse_iso(data.get("until")),
            extended=int(data.get("extended", 0)),
            suggested_by=data.get("suggested_by"),
            incident_id=data.get("incident_id"),
            last_recap=data.get("last_recap"),
        )

    def is_on(self, now: datetime) -> bool:
        """On, and its time is not yet up (an expired shield holds nothing even before the sweep)."""
        return self.state == ShieldState.ON and self.until is not None and as_utc(now) < self.until

    def _shown_state(self, now: datetime) -> ShieldState:
        """On only while its time is not up; a shield past its end shows as off before the sweep."""
        if self.is_on(now):
            return ShieldState.ON
        return ShieldState.SUGGESTED if self.state == ShieldState.SUGGESTED else ShieldState.OFF

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "target_id": self.target_id,
            "on": self.is_on(now),
            "state": self._shown_state(now).value,
            "since": iso(self.since),
            "until": iso(self.until),
            "extended": self.extended,
            "suggested_by": self.suggested_by,
            "incident_id": self.incident_id,
            "last_recap": dict(self.last_recap) if self.last_recap else None,
        }


def recap(deliveries: Iterable[Status], since: datetime | None, until: datetime) -> dict[str, Any]:
    """What the shield held between `since` and `until`, and why: counts, reasons, top senders.

    `deliveries` are `delivery` statuses of one target; those the shield held (still held, or
    released since) during the period count.
    """
    start = as_utc(since) if since else None
    end = as_utc(until)
    held = 0
    released = 0
    reasons: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    incidents: set[str] = set()
    hostile = 0
    for status in deliveries:
        data = status.data
        if not data.get("shielded"):
            continue
        # When the shield held it (not when it was sent: a late message is held by today's shield).
        at = parse_iso(data.get("decided_at") or data.get("at"))
        if at is None or (start is not None and at < start) or at > end:
            continue
        held += 1
        if status.state == DeliveryState.RELEASED:
            released += 1
        for reason in data.get("why", []):
            reasons[str(reason.get("code"))] += 1
        if data.get("hostile"):
            hostile += 1
        if data.get("author_key"):
            senders[str(data["author_key"])] += 1
        if data.get("incident_id"):
            incidents.add(str(data["incident_id"]))
    return {
        "since": iso(start),
        "until": iso(end),
        "held": held,
        "released": released,
        "still_held": held - released,
        "hostile": hostile,
        "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "top_senders": [{"author": key, "held": count} for key, count in senders.most_common(5)],
        "incidents": sorted(incidents),
    }
