"""The slice of the event log a transparency report reads, and each target's role.

Never writes: a report is a read of the log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hustings.events import Event
from hustings.moderation.events import APPEAL_DECIDED, DECISION_MADE
from hustings.places import place_of
from hustings.storage.events import event_from_row
from hustings.storage.tables import EventRow, TargetRow
from hustings.transparency.report import REFERRAL_KINDS, REPORT_KINDS


class SqlTransparencyStore:
    """The `TransparencyStore` over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def last_seq(self) -> int:
        return int(self.session.scalar(select(func.max(EventRow.seq))) or 0)

    def report_events(self, *, before: datetime) -> list[Event]:
        """Every event the report counts that happened before `before`, in log order.

        Nothing after the period's end changes its figures, so later events are not read.
        """
        # Plain columns, not ORM rows: a quarter can hold hundreds of thousands of events.
        rows = self.session.execute(
            select(
                EventRow.kind,
                EventRow.subject_type,
                EventRow.subject_id,
                EventRow.actor,
                EventRow.occurred_at,
                EventRow.idempotency_key,
                EventRow.payload,
                EventRow.seq,
            )
            .where(EventRow.kind.in_([*REPORT_KINDS, *REFERRAL_KINDS]), EventRow.occurred_at < before)
            .order_by(EventRow.seq)
            .execution_options(yield_per=5000)
        )
        return [
            Event(
                kind=kind,
                subject_type=subject_type,
                subject_id=subject_id,
                actor=actor,
                occurred_at=occurred_at,
                idempotency_key=key,
                payload=payload,
                seq=seq,
            )
            for kind, subject_type, subject_id, actor, occurred_at, key, payload, seq in rows
        ]

    def target_roles(self) -> dict[str, str]:
        rows = self.session.execute(select(TargetRow.id, TargetRow.role)).all()
        return {str(target_id): str(role) for target_id, role in rows}

    def target_places(self) -> dict[str, str]:
        rows = self.session.execute(select(TargetRow.id, TargetRow.country, TargetRow.nation)).all()
        return {str(target_id): place_of(country, nation) for target_id, country, nation in rows}

    def decision_events(
        self, *, since: datetime | None = None, before: datetime | None = None
    ) -> list[Event]:
        """`decision.made` and `appeal.decided` events in log order, optionally within [since, before)."""
        query = select(EventRow).where(EventRow.kind.in_((DECISION_MADE, APPEAL_DECIDED)))
        if since is not None:
            query = query.where(EventRow.occurred_at >= since)
        if before is not None:
            query = query.where(EventRow.occurred_at < before)
        return [event_from_row(row) for row in self.session.scalars(query.order_by(EventRow.seq))]
