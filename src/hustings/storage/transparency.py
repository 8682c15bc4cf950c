"""The slice of the event log a transparency report reads, and each target's role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hustings.events import Event
from hustings.moderation.events import DECISION_MADE
from hustings.storage.events import event_from_row
from hustings.storage.tables import EventRow, TargetRow
from hustings.transparency.period import Period
from hustings.transparency.report import REFERRAL_KINDS, REPORT_KINDS, TransparencyReport, compute_report


def report_events(session: Session, *, before: datetime) -> list[Event]:
    """Every event the report counts that happened before `before`, in log order.

    Nothing after the period's end changes its figures, so later events are not read.
    """
    rows = session.scalars(
        select(EventRow)
        .where(EventRow.kind.in_([*REPORT_KINDS, *REFERRAL_KINDS]), EventRow.occurred_at < before)
        .order_by(EventRow.seq)
        .execution_options(yield_per=2000)
    )
    return [event_from_row(row) for row in rows]


def decision_events(
    session: Session, *, since: datetime | None = None, before: datetime | None = None
) -> list[Event]:
    """`decision.made` events in log order, optionally within [since, before)."""
    query = select(EventRow).where(EventRow.kind == DECISION_MADE)
    if since is not None:
        query = query.where(EventRow.occurred_at >= since)
    if before is not None:
        query = query.where(EventRow.occurred_at < before)
    return [event_from_row(row) for row in session.scalars(query.order_by(EventRow.seq))]


def target_roles(session: Session) -> dict[str, str]:
    rows = session.execute(select(TargetRow.id, TargetRow.role)).all()
    return {str(target_id): str(role) for target_id, role in rows}


def compute_for(session: Session, period: Period) -> TransparencyReport:
    """The report for `period` from this database's event log."""
    return compute_report(report_events(session, before=period.end_at), target_roles(session), period)
