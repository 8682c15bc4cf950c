"""The transparency report from aggregates kept as the log is written, equal to the fold.

`compute_report` (the fold over the period's log) stays the reference. Here each message's and
each referral's events are reduced, subject by subject, to the few facts the report needs
(`message_facts`, `referral_facts`), which storage keeps beside the log, rewritten in the same
transaction whenever one of the subject's events is appended, and rebuildable from the log. A
report then adds the facts up for the period (`PeriodTallies`, counted by storage in SQL) and
`report_from_tallies` assembles the very same `TransparencyReport` the fold would have made.

Per-subject facts, not running totals: an event that arrives late (earlier in time than some
already written) changes only its own subject's facts, which are recomputed from that subject's
events in order, so the sums stay exact. Medians and percentiles are computed from the stored
per-item hours, exactly as the fold does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hustings.clock import parse_iso
from hustings.events import Event
from hustings.messages.events import MESSAGE_INGESTED
from hustings.moderation.events import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    DECISION_MADE,
    REPORT_FILED,
    TAKEDOWN_ACTIONS,
    Action,
    FiledReport,
    ReporterKind,
)
from hustings.platforms.figures import platform_response
from hustings.referrals.model import REFERRAL_CREATED, REFERRAL_SENT
from hustings.transparency.period import Period
from hustings.transparency.report import (
    AUTOMATED_DECISIONS,
    NOTICE_KINDS,
    SOURCES,
    Breakdown,
    DsaFigures,
    TransparencyReport,
    hours_between,
    labels_of,
    message_place,
    restriction_type,
    source_of,
    week_start,
)

MESSAGE_FACT_KINDS = (MESSAGE_INGESTED, REPORT_FILED, DECISION_MADE, APPEAL_FILED, APPEAL_DECIDED)
"""The message events whose facts the report keeps; an append of any of them recomputes its message's."""
REFERRAL_FACT_KINDS = (REFERRAL_CREATED, REFERRAL_SENT)


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """One message, as the report's cohort sees it."""

    message_id: str
    ingested_at: datetime | None
    target_ids: tuple[str, ...]
    place: str
    first_report_at: datetime | None
    category: str | None
    first_takedown_at: datetime | None
    hours_to_takedown: float | None
    """From the first report to the first takedown (never below zero), whenever that was."""


@dataclass(frozen=True, slots=True)
class ReportFact:
    seq: int
    message_id: str
    occurred_at: datetime
    reporter_kind: str
    category: str
    automated_decision_at: datetime | None
    """When the next decision on the message was made, where it was made by automated means."""


@dataclass(frozen=True, slots=True)
class DecisionFact:
    seq: int
    message_id: str
    occurred_at: datetime
    action: str
    after_automated: bool
    """The detector had reported the message before this decision."""
    after_notice: bool
    """Someone had notified it (a report of a kind in `NOTICE_KINDS`) before this decision."""


@dataclass(frozen=True, slots=True)
class AppealFact:
    seq: int
    message_id: str
    occurred_at: datetime
    decided: bool
    outcome: str | None
    hours: float | None
    """For a decision: hours since the latest appeal filed before it (None if none was)."""


@dataclass(frozen=True, slots=True)
class ReferralFact:
    seq: int
    referral_id: str
    occurred_at: datetime
    sent: bool
    first_send: bool
    hours: float | None
    """For the first send: hours from the first report the referral names (None if it names none)."""


@dataclass(frozen=True, slots=True)
class MessageFacts:
    item: ItemFacts
    reports: tuple[ReportFact, ...]
    decisions: tuple[DecisionFact, ...]
    appeals: tuple[AppealFact, ...]


def _in_order(events: Sequence[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.occurred_at, e.seq or 0))


def message_facts(message_id: str, events: Sequence[Event]) -> MessageFacts:
    """The facts of one message from all its events (any order; they are put in log order)."""
    ordered = [e for e in _in_order(events) if e.kind in MESSAGE_FACT_KINDS]
    ingested_at: datetime | None = None
    target_ids: tuple[str, ...] = ()
    place = message_place({})
    first_report_at: datetime | None = None
    category: str | None = None
    first_takedown_at: datetime | None = None
    kinds: set[str] = set()
    appeal_filed_at: datetime | None = None
    waiting: list[Event] = []  # reports not yet followed by a decision
    reports: list[ReportFact] = []
    decisions: list[DecisionFact] = []
    appeals: list[AppealFact] = []
    for event in ordered:
        seq = event.seq or 0
        if event.kind == MESSAGE_INGESTED:
            ingested_at = event.occurred_at
            target_ids = tuple(str(t) for t in event.payload.get("target_ids", []))
            place = message_place(event.payload)
        elif event.kind == REPORT_FILED:
            report = FiledReport.from_event(event)
            if first_report_at is None:
                first_report_at, category = event.occurred_at, report.category
            kinds.add(report.reporter_kind)
            waiting.append(event)
        elif event.kind == DECISION_MADE:
            action = str(event.payload.get("action", ""))
            statement = event.payload.get("statement") or {}
            automated = (
                isinstance(statement, dict) and statement.get("automated_decision") in AUTOMATED_DECISIONS
            )
            for filed in waiting:
                reports.append(_report_fact(filed, event.occurred_at if automated else None))
            waiting = []
            if action in TAKEDOWN_ACTIONS and first_takedown_at is None:
                first_takedown_at = event.occurred_at
            decisions.append(
                DecisionFact(
                    seq=seq,
                    message_id=message_id,
                    occurred_at=event.occurred_at,
                    action=action,
                    after_automated=ReporterKind.AUTOMATED.value in kinds,
                    after_notice=bool(kinds & NOTICE_KINDS),
                )
            )
        elif event.kind == APPEAL_FILED:
            appeal_filed_at = event.occurred_at
            appeals.append(
                AppealFact(seq, message_id, event.occurred_at, decided=False, outcome=None, hours=None)
            )
        else:  # APPEAL_DECIDED
            appeals.append(
                AppealFact(
                    seq,
                    message_id,
                    event.occurred_at,
                    decided=True,
                    outcome=str(event.payload.get("outcome", "")),
                    hours=None
                    if appeal_filed_at is None
                    else hours_between(appeal_filed_at, event.occurred_at),
                )
            )
    reports.extend(_report_fact(filed, None) for filed in waiting)
    hours = (
        hours_between(first_report_at, first_takedown_at)
        if first_report_at is not None and first_takedown_at is not None
        else None
    )
    return MessageFacts(
        item=ItemFacts(
            message_id=message_id,
            ingested_at=ingested_at,
            target_ids=target_ids,
            place=place,
            first_report_at=first_report_at,
            category=category,
            first_takedown_at=first_takedown_at,
            hours_to_takedown=hours,
        ),
        reports=tuple(sorted(reports, key=lambda r: r.seq)),
        decisions=tuple(decisions),
        appeals=tuple(appeals),
    )


def _report_fact(event: Event, automated_decision_at: datetime | None) -> ReportFact:
    report = FiledReport.from_event(event)
    return ReportFact(
        seq=event.seq or 0,
        message_id=event.subject_id,
        occurred_at=event.occurred_at,
        reporter_kind=report.reporter_kind,
        category=report.category,
        automated_decision_at=automated_decision_at,
    )


def referral_facts(referral_id: str, events: Sequence[Event]) -> tuple[ReferralFact, ...]:
    """The facts of one referral to the police from its events (any order)."""
    first_report: str | None = None
    sent = False
    facts: list[ReferralFact] = []
    for event in _in_order(events):
        if event.kind == REFERRAL_CREATED:
            first_report = event.payload.get("first_report_at")
            facts.append(ReferralFact(event.seq or 0, referral_id, event.occurred_at, False, False, None))
        elif event.kind == REFERRAL_SENT:
            first = not sent
            sent = True
            began = parse_iso(first_report) if first else None
            facts.append(
                ReferralFact(
                    event.seq or 0,
                    referral_id,
                    event.occurred_at,
                    sent=True,
                    first_send=first,
                    hours=None if began is None else hours_between(began, event.occurred_at),
                )
            )
    return tuple(facts)


@dataclass(frozen=True, slots=True)
class ReportCount:
    """Reports in the period of one kind, category and day."""

    reporter_kind: str
    category: str
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class DecisionCount:
    action: str
    after_automated: bool
    after_notice: bool
    count: int


@dataclass(frozen=True, slots=True)
class CohortCount:
    """Items reported first in the period, of one category, set of targets and place."""

    category: str
    target_ids: tuple[str, ...]
    place: str
    count: int


@dataclass(frozen=True, slots=True)
class TakenDown:
    """The items of the cohort taken down before the period's end of one category, set of
    targets and place: their hours to takedown."""

    category: str
    target_ids: tuple[str, ...]
    place: str
    hours: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PeriodTallies:
    """The stored facts added up for one period, as storage counts them. A message's targets and
    place count only where its `message.ingested` came before the period's end (as in the fold)."""

    reports: Sequence[ReportCount]
    reports_by_targets: Sequence[tuple[tuple[str, ...], int]]
    reports_by_place: Mapping[str, int]
    automated_notices: int
    """Notices in the period whose next decision was automated and made before the period's end."""
    cohort: Sequence[CohortCount]
    taken_down: Sequence[TakenDown]
    decisions: Sequence[DecisionCount]
    appeals_filed: int
    appeal_outcomes: Mapping[str, int]
    appeal_hours: Sequence[float]
    referrals_created: int
    referrals_sent: int
    referral_hours: Sequence[float]
    platform_events: Sequence[Event]
    """The platform referrals' own events before the period's end (few: read from the log)."""
    newest_at: datetime | None
    """The newest event the fold would read for the period (before its end)."""


class _Slicing:
    """Reports, items and hours by label, for one way of labelling an item."""

    def __init__(self) -> None:
        self.reports: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.hours: dict[str, list[float]] = {}

    def add_hours(self, labels: Sequence[str], hours: Sequence[float]) -> None:
        for label in labels:
            self.hours.setdefault(label, []).extend(hours)

    def breakdowns(self) -> dict[str, Breakdown]:
        return {
            name: Breakdown(
                reports_received=self.reports.get(name, 0),
                items_reported=self.items.get(name, 0),
                taken_down=len(self.hours.get(name, [])),
                hours=tuple(sorted(self.hours.get(name, []))),
            )
            for name in set(self.reports) | set(self.items)
        }


def report_from_tallies(
    period: Period,
    tallies: PeriodTallies,
    target_roles: Mapping[str, str],
    target_places: Mapping[str, str],
) -> TransparencyReport:
    """The `TransparencyReport` the fold (`compute_report`) makes for `period`, from its tallies."""
    category, role, nation, message_nation = _Slicing(), _Slicing(), _Slicing(), _Slicing()
    for row in tallies.reports:
        category.reports[row.category] += row.count
    for target_ids, count in tallies.reports_by_targets:
        for label in labels_of(target_ids, target_roles):
            role.reports[label] += count
        for label in labels_of(target_ids, target_places):
            nation.reports[label] += count
    message_nation.reports.update(tallies.reports_by_place)
    for cohort in tallies.cohort:
        category.items[cohort.category] += cohort.count
        for label in labels_of(cohort.target_ids, target_roles):
            role.items[label] += cohort.count
        for label in labels_of(cohort.target_ids, target_places):
            nation.items[label] += cohort.count
        message_nation.items[cohort.place] += cohort.count
    every: list[float] = []
    for items in tallies.taken_down:
        every.extend(items.hours)
        category.add_hours([items.category], items.hours)
        role.add_hours(labels_of(items.target_ids, target_roles), items.hours)
        nation.add_hours(labels_of(items.target_ids, target_places), items.hours)
        message_nation.add_hours([items.place], items.hours)
    by_source: Counter[str] = Counter(dict.fromkeys(SOURCES, 0))
    by_kind: Counter[str] = Counter()
    weekly: dict[date, Counter[str]] = {}
    week = week_start(period.start)
    while week <= period.last:
        weekly[week] = Counter()
        week += timedelta(days=7)
    notices = 0
    for row in tallies.reports:
        by_source[source_of(row.reporter_kind)] += row.count
        by_kind[row.reporter_kind] += row.count
        weekly[week_start(row.day)][row.category] += row.count
        if row.reporter_kind in NOTICE_KINDS:
            notices += row.count
    decisions: Counter[str] = Counter()
    by_detection: Counter[str] = Counter()
    by_restriction: Counter[str] = Counter()
    decided_flags = upheld_flags = 0
    for decision in tallies.decisions:
        decisions[decision.action] += decision.count
        if decision.after_automated:
            decided_flags += decision.count
            upheld_flags += decision.count * (decision.action != Action.NO_ACTION.value)
        restriction = restriction_type(decision.action)
        if not decision.after_notice and restriction is not None:
            by_detection["automated" if decision.after_automated else "manual"] += decision.count
            by_restriction[restriction] += decision.count
    outcomes = tallies.appeal_outcomes
    ordered_platform = _in_order(tallies.platform_events)
    return TransparencyReport(
        period=period,
        reports_received=sum(by_kind.values()),
        by_source=dict(by_source),
        by_reporter_kind=dict(by_kind),
        items_reported=sum(cohort.count for cohort in tallies.cohort),
        taken_down=len(every),
        hours_to_takedown=tuple(sorted(every)),
        by_category=category.breakdowns(),
        by_target_role=role.breakdowns(),
        by_target_nation=nation.breakdowns(),
        by_message_nation=message_nation.breakdowns(),
        decisions_by_action=dict(decisions),
        appeals_filed=tallies.appeals_filed,
        appeals_decided=sum(outcomes.values()),
        appeals_upheld=outcomes.get("upheld", 0),
        appeals_reversed=outcomes.get("reversed", 0),
        referrals_created=tallies.referrals_created,
        referrals_sent=tallies.referrals_sent,
        hours_first_report_to_referral=tuple(sorted(tallies.referral_hours)),
        weekly=tuple((week, dict(counts)) for week, counts in sorted(weekly.items())),
        dsa=DsaFigures(
            notices_received=notices,
            notices_processed_by_automated_means=tallies.automated_notices,
            own_initiative_by_detection=dict(by_detection),
            own_initiative_by_restriction=dict(by_restriction),
            appeal_hours=tuple(sorted(tallies.appeal_hours)),
            automated_flags_decided=decided_flags,
            automated_flags_upheld=upheld_flags,
        ),
        platform_response=platform_response(
            ordered_platform,
            as_of=tallies.newest_at or period.start_at,
            sent_from=period.start_at,
            sent_before=period.end_at,
        ),
    )
