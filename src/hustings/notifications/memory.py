"""An in-memory `NotificationStore` over an `InMemoryEventStore`, for tests that need no database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hustings.auth.model import User
from hustings.events import Event, Status
from hustings.events.log import InMemoryEventStore
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.moderation.status import OPEN_STATES
from hustings.notifications.events import SUBJECT, NotificationState


class InMemoryNotificationStore:
    def __init__(self, events: InMemoryEventStore, users: Sequence[User] = ()) -> None:
        self.events = events
        self.people = list(users)

    def _statuses(self, subject_type: str) -> list[Status]:
        return [s for (kind, _), s in self.events.statuses.items() if kind == subject_type]

    def events_since(self, kinds: Sequence[str], since: datetime, limit: int) -> list[Event]:
        return [e for e in self.events.events if e.kind in kinds and e.occurred_at >= since][:limit]

    def items_due_between(self, start: datetime, end: datetime, limit: int) -> list[Status]:
        due = [
            s
            for s in self._statuses(MESSAGE)
            if s.state in OPEN_STATES and s.due_at is not None and start < s.due_at <= end
        ]
        return sorted(due, key=lambda s: s.due_at or start)[:limit]

    def status(self, subject_type: str, subject_id: str) -> Status | None:
        return self.events.statuses.get((subject_type, subject_id))

    def inbox(self, user_id: str, limit: int) -> list[Status]:
        mine = [s for s in self._statuses(SUBJECT) if s.assignee == user_id]
        return list(reversed(mine))[:limit]

    def unread_count(self, user_id: str) -> int:
        return sum(1 for s in self.inbox(user_id, 10_000) if s.state == NotificationState.UNREAD)

    def emails_due(self, now: datetime, limit: int) -> list[Status]:
        return [s for s in self._statuses(SUBJECT) if s.due_at is not None and s.due_at <= now][:limit]

    def users(self) -> list[User]:
        return list(self.people)
