"""The `TeamStore` in SQL. Team members are events and statuses (`subject_status`), so there is no
table of its own; users are `UserStore`'s, and a member's reports are `report.filed` events.

Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hustings.auth.model import Role, User
from hustings.elections.teams import TEAM_MEMBER
from hustings.errors import NotFound
from hustings.events import Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.moderation.events import REPORT_FILED
from hustings.storage.bulk import chunks
from hustings.storage.database import require_transaction
from hustings.storage.events import status_from_row
from hustings.storage.tables import EventRow, MessageRow, StatusRow, UserRow
from hustings.storage.users import UserStore


class SqlTeamStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.users = UserStore(session)

    def members(self, member_ids: Collection[str] | None = None) -> list[Status]:
        query = select(StatusRow).where(StatusRow.subject_type == TEAM_MEMBER)
        if member_ids is not None:
            query = query.where(StatusRow.subject_id.in_(sorted(member_ids)))
        return [status_from_row(row) for row in self.session.scalars(query.order_by(StatusRow.subject_id))]

    def user_by_name(self, name: str) -> User | None:
        return self.users.by_name(name)

    def create_flagger(self, name: str, *, display_name: str, password: str, now: datetime) -> User:
        return self.users.create(name, {Role.FLAGGER}, now=now, display_name=display_name, password=password)

    def grant_flagger(self, user_id: str) -> None:
        require_transaction(self.session)
        row = self.session.get(UserRow, user_id)
        if row is None:
            raise NotFound(f"user: no user with id {user_id!r}")
        row.roles = sorted({*row.roles, Role.FLAGGER.value})
        self.session.flush()

    def password_matches(self, user_id: str, password: str) -> bool:
        return self.users.password_matches(user_id, password)

    def reported_items(self, reporter_ids: Collection[str], start: datetime, end: datetime) -> list[Status]:
        message_ids: set[str] = set()
        for chunk in chunks(sorted(user_actor(user_id) for user_id in reporter_ids)):
            message_ids.update(
                self.session.scalars(
                    select(EventRow.subject_id).where(
                        EventRow.kind == REPORT_FILED,
                        EventRow.actor.in_(chunk),
                        EventRow.occurred_at >= start,
                        EventRow.occurred_at < end,
                    )
                )
            )
        found: list[Status] = []
        for chunk in chunks(sorted(message_ids)):
            rows = self.session.scalars(
                select(StatusRow).where(StatusRow.subject_type == SUBJECT, StatusRow.subject_id.in_(chunk))
            )
            found.extend(status_from_row(row) for row in rows)
        return found

    def message_ids(self, ids: Collection[str] = (), urls: Collection[str] = ()) -> list[str]:
        found: set[str] = set()
        if ids:
            found.update(self.session.scalars(select(MessageRow.id).where(MessageRow.id.in_(sorted(ids)))))
        if urls:
            found.update(self.session.scalars(select(MessageRow.id).where(MessageRow.url.in_(sorted(urls)))))
        return sorted(found)
