"""The SQL side of notifications: reads over the event log and subject statuses. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hustings.auth.model import User
from hustings.events import Event, Status
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.moderation.status import OPEN_STATES
from hustings.notifications.events import SUBJECT, NotificationState
from hustings.storage.events import event_from_row, status_from_row
from hustings.storage.tables import EventRow, StatusRow
from hustings.storage.users import UserStore


class SqlNotificationStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def events_since(self, kinds: Sequence[str], since: datetime, limit: int) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.kind.in_(list(kinds)), EventRow.occurred_at >= since)
            .order_by(EventRow.seq)
            .limit(limit)
        )
        return [event_from_row(row) for row in rows]

    def items_due_between(self, start: datetime, end: datetime, limit: int) -> list[Status]:
        rows = self.session.scalars(
            select(StatusRow)
            .where(
                StatusRow.subject_type == MESSAGE,
                StatusRow.state.in_([state.value for state in OPEN_STATES]),
                StatusRow.due_at > start,
                StatusRow.due_at <= end,
            )
            .order_by(StatusRow.due_at)
            .limit(limit)
        )
        return [status_from_row(row) for row in rows]

    def status(self, subject_type: str, subject_id: str) -> Status | None:
        row = self.session.get(StatusRow, (subject_type, subject_id))
        return None if row is None else status_from_row(row)

    def inbox(self, user_id: str, limit: int) -> list[Status]:
        rows = self.session.scalars(
            select(StatusRow)
            .where(StatusRow.subject_type == SUBJECT, StatusRow.assignee == user_id)
            .order_by(StatusRow.updated_at.desc(), StatusRow.subject_id)
            .limit(limit)
        )
        return [status_from_row(row) for row in rows]

    def unread_count(self, user_id: str) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(StatusRow)
                .where(
                    StatusRow.subject_type == SUBJECT,
                    StatusRow.assignee == user_id,
                    StatusRow.state == NotificationState.UNREAD.value,
                )
            )
            or 0
        )

    def emails_due(self, now: datetime, limit: int) -> list[Status]:
        rows = self.session.scalars(
            select(StatusRow)
            .where(StatusRow.subject_type == SUBJECT, StatusRow.due_at.is_not(None), StatusRow.due_at <= now)
            .order_by(StatusRow.due_at)
            .limit(limit)
        )
        return [status_from_row(row) for row in rows]

    def users(self) -> list[User]:
        return UserStore(self.session).all()
