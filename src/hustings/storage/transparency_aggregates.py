"""The transparency report's aggregates in SQL: written as events are appended, added up per period.

`SqlEventStore.append` calls `record` with every batch it writes, inside the same savepoint, so
the facts of each message and referral touched are rewritten from that subject's events in the
log in the same transaction (the embedded default and the stream workers alike: both append
through it). `tallies` adds the facts up for a period in a handful of grouped queries; `rebuild`
recomputes them all from the log and records so in the state row; `catch_up` rebuilds them only
where that row says they were never built from the log (an installation upgraded past the
migration that added them, with events from before it). Never commits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hustings.clock import SystemClock
from hustings.events import Event
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.places import NOT_RECORDED
from hustings.platforms.events import PLATFORM_REFERRAL_KINDS
from hustings.platforms.events import SUBJECT as PLATFORM_REFERRAL
from hustings.referrals.model import SUBJECT as REFERRAL
from hustings.storage.bulk import among, chunks, insert_rows
from hustings.storage.database import require_transaction
from hustings.storage.tables import EventRow
from hustings.storage.transparency_tables import (
    TransparencyAggregatesStateRow,
    TransparencyAppealRow,
    TransparencyDecisionRow,
    TransparencyItemRow,
    TransparencyReferralRow,
    TransparencyReportRow,
)
from hustings.transparency.aggregates import (
    MESSAGE_FACT_KINDS,
    REFERRAL_FACT_KINDS,
    CohortCount,
    DecisionCount,
    MessageFacts,
    PeriodTallies,
    ReferralFact,
    ReportCount,
    TakenDown,
    message_facts,
    referral_facts,
)
from hustings.transparency.period import Period
from hustings.transparency.report import NOTICE_KINDS

MESSAGE_TABLES = (TransparencyItemRow, TransparencyReportRow, TransparencyDecisionRow, TransparencyAppealRow)
REBUILD_BATCH = 5000
"""Subjects whose facts are inserted together when the aggregates are rebuilt."""
AGGREGATES_VERSION = 1
"""The version of the aggregates' facts; a state row below it means they must be rebuilt."""
STATE_ID = 1

Progress = Callable[[int], None]
"""Told the number of events read so far, after each batch of a rebuild."""


def _columns() -> tuple[Any, ...]:
    return (
        EventRow.kind,
        EventRow.subject_type,
        EventRow.subject_id,
        EventRow.actor,
        EventRow.occurred_at,
        EventRow.idempotency_key,
        EventRow.payload,
        EventRow.seq,
    )


def _event(row: Any) -> Event:
    kind, subject_type, subject_id, actor, occurred_at, key, payload, seq = row
    return Event(kind, subject_type, subject_id, actor, occurred_at, key, payload=payload, seq=seq)


class _TargetsOf:
    """The target ids of a stored JSON list, parsed once per distinct list."""

    def __init__(self) -> None:
        self.parsed: dict[str | None, tuple[str, ...]] = {None: ()}

    def __call__(self, text: str | None) -> tuple[str, ...]:
        found = self.parsed.get(text)
        if found is None:
            found = self.parsed[text] = tuple(json.loads(text or "[]"))
        return found


class SqlTransparencyAggregates:
    """The aggregates over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ writing

    def record(self, events: Sequence[Event]) -> None:
        """Rewrite the facts of each message and referral that `events` (just appended) are on."""
        messages = sorted(
            {e.subject_id for e in events if e.subject_type == MESSAGE and e.kind in MESSAGE_FACT_KINDS}
        )
        referrals = sorted(
            {e.subject_id for e in events if e.subject_type == REFERRAL and e.kind in REFERRAL_FACT_KINDS}
        )
        for chunk in chunks(messages):
            found = self._subject_events(MESSAGE, MESSAGE_FACT_KINDS, chunk)
            self._delete_messages(chunk)
            self._insert_messages([message_facts(mid, found.get(mid, [])) for mid in chunk])
        for chunk in chunks(referrals):
            found = self._subject_events(REFERRAL, REFERRAL_FACT_KINDS, chunk)
            self.session.execute(
                delete(TransparencyReferralRow).where(
                    among(self.session, TransparencyReferralRow.referral_id, chunk)
                )
            )
            self._insert_referrals([f for rid in chunk for f in referral_facts(rid, found.get(rid, []))])

    def catch_up(self, progress: Progress | None = None) -> int | None:
        """Rebuild the facts if the state row says they were never built from the log (or by an
        older version); return the events read, or None where they were already current.

        The state row is locked first, so of two upgrades at once the second waits and then
        finds the facts current: the rebuild runs once."""
        require_transaction(self.session)
        state = self.session.execute(
            select(TransparencyAggregatesStateRow)
            .where(TransparencyAggregatesStateRow.id == STATE_ID)
            .with_for_update()
        ).scalar_one_or_none()
        if state is not None and state.version >= AGGREGATES_VERSION:
            return None
        return self.rebuild(progress)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Recompute every fact from the log, and record so in the state row; return the number
        of events read."""
        require_transaction(self.session)
        through = self.session.execute(select(func.coalesce(func.max(EventRow.seq), 0))).scalar_one()
        for model in (*MESSAGE_TABLES, TransparencyReferralRow):
            self.session.execute(delete(model))
        count = 0
        batch: list[MessageFacts] = []
        for mid, events in self._every_subject(MESSAGE, MESSAGE_FACT_KINDS):
            count += len(events)
            batch.append(message_facts(mid, events))
            if len(batch) >= REBUILD_BATCH:
                self._insert_messages(batch)
                batch = []
                if progress is not None:
                    progress(count)
        self._insert_messages(batch)
        referrals: list[ReferralFact] = []
        for rid, events in self._every_subject(REFERRAL, REFERRAL_FACT_KINDS):
            count += len(events)
            referrals.extend(referral_facts(rid, events))
        self._insert_referrals(referrals)
        if progress is not None:
            progress(count)
        self._mark_rebuilt(int(through))
        return count

    def _mark_rebuilt(self, through: int) -> None:
        state = self.session.get(TransparencyAggregatesStateRow, STATE_ID)
        if state is None:
            state = TransparencyAggregatesStateRow(id=STATE_ID)
            self.session.add(state)
        state.version = AGGREGATES_VERSION
        state.rebuilt_through_seq = through
        state.rebuilt_at = SystemClock().now()
        self.session.flush()

    def _subject_events(
        self, subject_type: str, kinds: Sequence[str], ids: Sequence[str]
    ) -> dict[str, list[Event]]:
        rows = self.session.execute(
            select(*_columns())
            .where(
                EventRow.subject_type == subject_type,
                among(self.session, EventRow.subject_id, ids),
                EventRow.kind.in_(kinds),
            )
            .order_by(EventRow.subject_id, EventRow.seq)
        )
        found: dict[str, list[Event]] = {}
        for row in rows:
            event = _event(row)
            found.setdefault(event.subject_id, []).append(event)
        return found

    def _every_subject(self, subject_type: str, kinds: Sequence[str]) -> Iterator[tuple[str, list[Event]]]:
        rows = self.session.execute(
            select(*_columns())
            .where(EventRow.subject_type == subject_type, EventRow.kind.in_(kinds))
            .order_by(EventRow.subject_id, EventRow.seq)
            .execution_options(yield_per=REBUILD_BATCH)
        )
        events = (_event(row) for row in rows)
        for subject_id, mine in groupby(events, key=lambda e: e.subject_id):
            yield subject_id, list(mine)

    def _delete_messages(self, ids: Sequence[str]) -> None:
        for model in MESSAGE_TABLES:
            column: InstrumentedAttribute[str] = model.message_id
            self.session.execute(delete(model).where(among(self.session, column, ids)))

    def _insert_messages(self, facts: Iterable[MessageFacts]) -> None:
        items: list[dict[str, Any]] = []
        reports: list[dict[str, Any]] = []
        decisions: list[dict[str, Any]] = []
        appeals: list[dict[str, Any]] = []
        for fact in facts:
            item = fact.item
            targets = json.dumps(list(item.target_ids))
            items.append(
                {
                    "message_id": item.message_id,
                    "ingested_at": item.ingested_at,
                    "target_ids": targets,
                    "place": item.place,
                    "first_report_at": item.first_report_at,
                    "category": item.category,
                    "first_takedown_at": item.first_takedown_at,
                    "hours_to_takedown": item.hours_to_takedown,
                }
            )
            reports.extend(
                {
                    "seq": r.seq,
                    "message_id": r.message_id,
                    "occurred_at": r.occurred_at,
                    "day": r.occurred_at.date(),
                    "reporter_kind": r.reporter_kind,
                    "category": r.category,
                    "automated_decision_at": r.automated_decision_at,
                    "ingested_at": item.ingested_at,
                    "target_ids": targets,
                    "place": item.place,
                }
                for r in fact.reports
            )
            decisions.extend(
                {
                    "seq": d.seq,
                    "message_id": d.message_id,
                    "occurred_at": d.occurred_at,
                    "action": d.action,
                    "after_automated": d.after_automated,
                    "after_notice": d.after_notice,
                }
                for d in fact.decisions
            )
            appeals.extend(
                {
                    "seq": a.seq,
                    "message_id": a.message_id,
                    "occurred_at": a.occurred_at,
                    "decided": a.decided,
                    "outcome": a.outcome,
                    "hours": a.hours,
                }
                for a in fact.appeals
            )
        insert_rows(self.session, TransparencyItemRow, items)
        insert_rows(self.session, TransparencyReportRow, reports)
        insert_rows(self.session, TransparencyDecisionRow, decisions)
        insert_rows(self.session, TransparencyAppealRow, appeals)

    def _insert_referrals(self, facts: Sequence[ReferralFact]) -> None:
        insert_rows(
            self.session,
            TransparencyReferralRow,
            [
                {
                    "seq": f.seq,
                    "referral_id": f.referral_id,
                    "occurred_at": f.occurred_at,
                    "sent": f.sent,
                    "first_send": f.first_send,
                    "hours": f.hours,
                }
                for f in facts
            ],
        )

    # ------------------------------------------------------------------ reading

    def tallies(self, period: Period) -> PeriodTallies:
        """The facts added up for `period` (see `PeriodTallies`)."""
        start, end = period.start_at, period.end_at
        report, item = TransparencyReportRow, TransparencyItemRow
        in_period = and_(report.occurred_at >= start, report.occurred_at < end)
        ingested = item.ingested_at < end
        # A message's targets and place count only where it was ingested before the end (a
        # subquery, so that each is one column to group by, not an expression with parameters).
        labelled = (
            select(
                case((report.ingested_at < end, report.target_ids)).label("targets"),
                case((report.ingested_at < end, report.place)).label("place"),
            )
            .where(in_period)
            .subquery()
        )
        cohort_items = (
            select(
                item.category,
                item.hours_to_takedown,
                item.first_takedown_at,
                case((ingested, item.target_ids)).label("targets"),
                case((ingested, item.place)).label("place"),
            )
            .where(item.first_report_at >= start, item.first_report_at < end)
            .subquery()
        )
        execute = self.session.execute
        automated = case(
            (report.reporter_kind.in_(sorted(NOTICE_KINDS)) & (report.automated_decision_at < end), 1),
            else_=0,
        )
        reports: list[ReportCount] = []
        automated_notices = 0
        for kind, category, day, count, processed in execute(
            select(report.reporter_kind, report.category, report.day, func.count(), func.sum(automated))
            .where(in_period)
            .group_by(report.reporter_kind, report.category, report.day)
        ):
            reports.append(ReportCount(kind, category, day, count))
            automated_notices += int(processed or 0)
        by_targets: Counter[tuple[str, ...]] = Counter()
        by_place: Counter[str] = Counter()
        targets_of = _TargetsOf()
        for target_ids, where, count in execute(
            select(labelled.c.targets, labelled.c.place, func.count()).group_by(
                labelled.c.targets, labelled.c.place
            )
        ):
            by_targets[targets_of(target_ids)] += count
            by_place[where or NOT_RECORDED] += count
        c = cohort_items.c
        cohort = [
            CohortCount(category, targets_of(target_ids), where or NOT_RECORDED, count)
            for category, target_ids, where, count in execute(
                select(c.category, c.targets, c.place, func.count()).group_by(c.category, c.targets, c.place)
            )
        ]
        # Hours by kind of item: the items of one category, set of targets and place together,
        # so that each kind is labelled once, however many items it holds.
        taken_down = [
            TakenDown(
                category, targets_of(target_ids), where or NOT_RECORDED, tuple(hours for *_, hours in rows)
            )
            for (category, target_ids, where), rows in groupby(
                execute(
                    select(c.category, c.targets, c.place, c.hours_to_takedown)
                    .where(c.first_takedown_at < end)
                    .order_by(c.category, c.targets, c.place)
                ),
                key=lambda row: (row[0], row[1], row[2]),
            )
        ]
        decision = TransparencyDecisionRow
        decisions = [
            DecisionCount(action, bool(automated), bool(notice), count)
            for action, automated, notice, count in execute(
                select(decision.action, decision.after_automated, decision.after_notice, func.count())
                .where(decision.occurred_at >= start, decision.occurred_at < end)
                .group_by(decision.action, decision.after_automated, decision.after_notice)
            )
        ]
        appeal = TransparencyAppealRow
        appeals_filed = 0
        outcomes: Counter[str] = Counter()
        appeal_hours: list[float] = []
        for decided, outcome, hours in execute(
            select(appeal.decided, appeal.outcome, appeal.hours).where(
                appeal.occurred_at >= start, appeal.occurred_at < end
            )
        ):
            if not decided:
                appeals_filed += 1
                continue
            outcomes[outcome or ""] += 1
            if hours is not None:
                appeal_hours.append(hours)
        referral = TransparencyReferralRow
        created = sent = 0
        referral_hours: list[float] = []
        for is_sent, hours in execute(
            select(referral.sent, referral.hours).where(
                referral.occurred_at >= start,
                referral.occurred_at < end,
                (referral.sent.is_(False)) | referral.first_send.is_(True),
            )
        ):
            if not is_sent:
                created += 1
                continue
            sent += 1
            if hours is not None:
                referral_hours.append(hours)
        platform_events = [
            _event(row)
            for row in execute(
                select(*_columns())
                .where(
                    EventRow.subject_type == PLATFORM_REFERRAL,
                    EventRow.kind.in_(PLATFORM_REFERRAL_KINDS),
                    EventRow.occurred_at < end,
                )
                .order_by(EventRow.seq)
            )
        ]
        return PeriodTallies(
            reports=reports,
            reports_by_targets=list(by_targets.items()),
            reports_by_place=dict(by_place),
            automated_notices=int(automated_notices),
            cohort=cohort,
            taken_down=taken_down,
            decisions=decisions,
            appeals_filed=appeals_filed,
            appeal_outcomes=dict(outcomes),
            appeal_hours=appeal_hours,
            referrals_created=created,
            referrals_sent=sent,
            referral_hours=referral_hours,
            platform_events=platform_events,
            newest_at=self._newest(end, platform_events),
        )

    def _newest(self, end: datetime, platform_events: Sequence[Event]) -> datetime | None:
        """The newest moment before `end` among the events the fold reads."""
        moments: list[datetime] = [e.occurred_at for e in platform_events]
        for column in (
            TransparencyItemRow.ingested_at,
            TransparencyReportRow.occurred_at,
            TransparencyDecisionRow.occurred_at,
            TransparencyAppealRow.occurred_at,
            TransparencyReferralRow.occurred_at,
        ):
            found = self.session.execute(select(func.max(column)).where(column < end)).scalar_one()
            if found is not None:
                moments.append(found)
        return max(moments, default=None)
