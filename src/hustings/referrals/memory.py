"""A `ReferralStore` in plain dicts, so the referral service's tests need no database.

It reads referrals from the same `InMemoryEventStore` the log writes to; the evidence around
each message (its assessment, reports, thread and author history) is given whole, as the SQL
store would gather it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hustings.auth.model import User
from hustings.errors import NotFound
from hustings.events import Event, InMemoryEventStore, Status
from hustings.referrals.content import PackMessage
from hustings.referrals.model import REFERRAL_PACK_BUILT, SUBJECT
from hustings.targets.model import Target


class InMemoryReferralStore:
    def __init__(self, events: InMemoryEventStore) -> None:
        self.events = events
        self.messages: dict[str, PackMessage] = {}
        self.targets: dict[str, Target] = {}
        self.incidents: dict[str, list[str]] = {}
        self.bundles: dict[str, list[str]] = {}
        self.users: dict[str, User] = {}

    # Set-up helpers for tests: in SQL these are messages, targets and protection's statuses.
    def add_message(self, item: PackMessage) -> None:
        self.messages[item.message.id] = item

    def add_target(self, target: Target) -> None:
        self.targets[target.id] = target

    # EvidenceSource
    def pack_messages(self, message_ids: Sequence[str]) -> list[PackMessage]:
        missing = next((i for i in message_ids if i not in self.messages), None)
        if missing is not None:
            raise NotFound(f"message_ids: no message {missing!r}")
        return [self.messages[i] for i in message_ids]

    def targets_of(self, messages: Sequence[PackMessage]) -> list[Target]:
        ids = dict.fromkeys(t for item in messages for t in item.message.target_ids)
        return [self.targets[i] for i in ids if i in self.targets]

    def incident_message_ids(self, incident_id: str) -> list[str]:
        if incident_id not in self.incidents:
            raise NotFound(f"incident_id: no incident {incident_id!r}")
        return list(self.incidents[incident_id])

    def bundle_message_ids(self, target_id: str) -> list[str]:
        if not self.bundles.get(target_id):
            raise NotFound(f"bundle_target_id: target {target_id!r} has no evidence bundle")
        return list(self.bundles[target_id])

    # ReferralStore
    def referral(self, referral_id: str) -> Status | None:
        return self.events.statuses.get((SUBJECT, referral_id))

    def referral_events(self, referral_id: str) -> list[Event]:
        return [e for e in self.events.events if e.subject == (SUBJECT, referral_id)]

    def referrals(self, *, limit: int) -> list[Status]:
        found = [s for s in self.events.statuses.values() if s.subject_type == SUBJECT]
        found.sort(
            key=lambda s: (s.priority, s.updated_at.timestamp() if s.updated_at else 0.0), reverse=True
        )
        return found[:limit]

    def pack_built_events(self, pack_id: str) -> list[Event]:
        return [
            e
            for e in self.events.events
            if e.kind == REFERRAL_PACK_BUILT
            and e.subject_type == SUBJECT
            and e.payload.get("pack_id") == pack_id
        ]

    def first_report_at(self, message_ids: Sequence[str]) -> datetime | None:
        times = [r.at for i in message_ids if i in self.messages for r in self.messages[i].reports]
        return min(times, default=None)

    def people(self) -> dict[str, User]:
        return dict(self.users)
