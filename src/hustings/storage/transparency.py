"""The slice of the event log a transparency report reads, and each target's role."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import func, select
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
    # Plain columns, not ORM rows: a quarter can hold hundreds of thousands of events.
    rows = session.execute(
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


class ReportCache:
    """Reports by period, valid while the log has not grown: the public page is read far more
    often than the log changes, and a report reads every relevant event up to the period's end."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._reports: OrderedDict[tuple[Period, int], TransparencyReport] = OrderedDict()
        self._lock = threading.Lock()

    def report(self, session: Session, period: Period) -> TransparencyReport:
        last_seq = session.scalar(select(func.max(EventRow.seq))) or 0
        key = (period, int(last_seq))
        with self._lock:
            found = self._reports.get(key)
            if found is not None:
                self._reports.move_to_end(key)
                return found
        report = compute_for(session, period)
        with self._lock:
            self._reports[key] = report
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)
        return report
