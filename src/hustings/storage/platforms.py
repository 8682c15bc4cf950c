"""The `PlatformReferralStore` in SQL. Platform referrals have no tables of their own: a referral
is its events and the status derived from them. Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hustings.elections.events import ELECTION
from hustings.events import Event, Status
from hustings.platforms.events import SUBJECT
from hustings.storage.bulk import chunks
from hustings.storage.events import SqlEventStore, event_from_row, status_from_row
from hustings.storage.tables import EventRow, MessageRow, StatusRow


class SqlPlatformReferralStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.events = SqlEventStore(session)

    def missing_messages(self, message_ids: Sequence[str]) -> list[str]:
        found: set[str] = set()
        for chunk in chunks(sorted(set(message_ids))):
            found.update(self.session.scalars(select(MessageRow.id).where(MessageRow.id.in_(chunk))))
        return [m for m in message_ids if m not in found]

    def election_exists(self, election_id: str) -> bool:
        return self.events.status(ELECTION, election_id) is not None

    def election_ids(self) -> list[str]:
        query = select(StatusRow.subject_id).where(StatusRow.subject_type == ELECTION)
        return sorted(self.session.scalars(query), reverse=True)

    def referral(self, referral_id: str) -> Status | None:
        return self.events.status(SUBJECT, referral_id)

    def referrals(self, *, limit: int, election_id: str | None = None) -> list[Status]:
        query = (
            select(StatusRow)
            .where(StatusRow.subject_type == SUBJECT)
            .order_by(StatusRow.updated_at.desc(), StatusRow.subject_id.desc())
        )
        if election_id is None:
            return [status_from_row(row) for row in self.session.scalars(query.limit(limit))]
        # The election is in the status's data, not a column: filtered here.
        found = [status_from_row(row) for row in self.session.scalars(query)]
        return [s for s in found if s.data.get("election_id") == election_id][:limit]

    def referral_events(self, referral_id: str) -> list[Event]:
        return self.events.events_for(SUBJECT, referral_id)

    def response_events(self, *, until: datetime | None = None) -> list[Event]:
        query = select(EventRow).where(EventRow.subject_type == SUBJECT)
        if until is not None:
            query = query.where(EventRow.occurred_at <= until)
        return [event_from_row(row) for row in self.session.scalars(query.order_by(EventRow.seq))]
