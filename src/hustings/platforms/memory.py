"""A `PlatformReferralStore` in plain dicts, so the service's tests need no database.

It reads statuses and events from the `InMemoryEventStore` the log writes to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hustings.clock import as_utc
from hustings.elections.events import ELECTION
from hustings.events import Event, InMemoryEventStore, Status
from hustings.platforms.events import SUBJECT


class InMemoryPlatformReferralStore:
    def __init__(self, events: InMemoryEventStore, message_ids: Sequence[str] = ()) -> None:
        self.events = events
        self.message_ids = set(message_ids)

    def missing_messages(self, message_ids: Sequence[str]) -> list[str]:
        return [m for m in message_ids if m not in self.message_ids]

    def election_exists(self, election_id: str) -> bool:
        return (ELECTION, election_id) in self.events.statuses

    def election_ids(self) -> list[str]:
        return sorted((i for (kind, i) in self.events.statuses if kind == ELECTION), reverse=True)

    def referral(self, referral_id: str) -> Status | None:
        return self.events.statuses.get((SUBJECT, referral_id))

    def referrals(self, *, limit: int, election_id: str | None = None) -> list[Status]:
        found = [
            status
            for (kind, _), status in self.events.statuses.items()
            if kind == SUBJECT and (election_id is None or status.data.get("election_id") == election_id)
        ]
        found.sort(key=lambda s: (s.updated_at or datetime.min, s.subject_id), reverse=True)
        return found[:limit]

    def referral_events(self, referral_id: str) -> list[Event]:
        return [e for e in self.events.events if e.subject == (SUBJECT, referral_id)]

    def response_events(self, *, until: datetime | None = None) -> list[Event]:
        return [
            e
            for e in self.events.events
            if e.subject_type == SUBJECT and (until is None or as_utc(e.occurred_at) <= as_utc(until))
        ]
