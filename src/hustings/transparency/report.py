"""The transparency report: what was reported, what was taken down and how fast, for a period.

Computed from the event log only (the moderation events of `hustings.moderation.events`, the
`message.ingested` payload's `target_ids` and, where the source said, the message's country and
nation, referral events) plus each target's role and place (`hustings.places`). This fold is
the reference; the report served is made from aggregates equal to it
(`hustings.transparency.aggregates`). The definitions, which a reader of the published figures
needs, are in docs/transparency.md:

- reports received: `report.filed` events in the period;
- items reported: messages whose *first* report falls in the period (the cohort);
- taken down: cohort messages with a `decision.made` whose action is in `TAKEDOWN_ACTIONS`,
  made before the period ended (so a published period's figures do not drift);
- time to takedown: from the first report to the first such decision (never below zero);
- within 24 h / within 7 days are cumulative shares of the items taken down; later is the rest;
- the platforms' response: referrals to platforms sent in the period, measured as of the newest
  event of the log before the period's end (`hustings.platforms.figures`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hustings.clock import parse_iso
from hustings.errors import InvalidInput
from hustings.events import Event
from hustings.messages.events import MESSAGE_INGESTED
from hustings.messages.events import SUBJECT as MESSAGE
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
from hustings.moderation.reasons import effects_of
from hustings.places import NOT_RECORDED, place_of
from hustings.platforms.events import PLATFORM_REFERRAL_KINDS
from hustings.platforms.events import SUBJECT as PLATFORM_REFERRAL
from hustings.platforms.figures import PlatformResponse, platform_response
from hustings.referrals.model import REFERRAL_CREATED, REFERRAL_SENT
from hustings.referrals.model import SUBJECT as REFERRAL
from hustings.transparency.period import Period
from hustings.transparency.stats import percentile, share

SOURCES = ("user_notice", "trusted_flagger", "automated")
"""The three sources the Committee and the DSA distinguish."""

SOURCE_OF_KIND = {
    ReporterKind.TARGET.value: "user_notice",
    ReporterKind.DELEGATE.value: "user_notice",
    ReporterKind.USER.value: "user_notice",
    ReporterKind.TRUSTED_FLAGGER.value: "trusted_flagger",
    ReporterKind.AUTOMATED.value: "automated",
}
UNREGISTERED = "unregistered"
DAY_HOURS = 24.0
WEEK_HOURS = 7 * 24.0
BUCKETS: tuple[tuple[str, float], ...] = (
    ("under 1 hour", 1.0),
    ("1 to 6 hours", 6.0),
    ("6 to 24 hours", 24.0),
    ("1 to 3 days", 72.0),
    ("3 to 7 days", 168.0),
    ("over 7 days", math.inf),
)
"""Histogram bins for time to takedown: each holds times up to and including its bound."""

REPORT_KINDS = (MESSAGE_INGESTED, REPORT_FILED, DECISION_MADE, APPEAL_FILED, APPEAL_DECIDED)
REFERRAL_KINDS = (REFERRAL_CREATED, REFERRAL_SENT, *PLATFORM_REFERRAL_KINDS)


def source_of(reporter_kind: str) -> str:
    return SOURCE_OF_KIND.get(reporter_kind, "user_notice")


@dataclass(frozen=True, slots=True)
class Breakdown:
    """The headline figures for one slice of the cohort (a category or a target role)."""

    reports_received: int
    items_reported: int
    taken_down: int
    hours: tuple[float, ...]

    @property
    def taken_down_share(self) -> float | None:
        return share(self.taken_down, self.items_reported)

    def to_json(self) -> dict[str, Any]:
        return {
            "reports_received": self.reports_received,
            "items_reported": self.items_reported,
            "taken_down": self.taken_down,
            "taken_down_share": _round(self.taken_down_share, 4),
            "median_hours_to_takedown": _round(percentile(self.hours, 0.5), 2),
        }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    """Every figure for one period. `to_json` is the published form (rounded)."""

    period: Period
    reports_received: int
    by_source: Mapping[str, int]
    by_reporter_kind: Mapping[str, int]
    items_reported: int
    taken_down: int
    hours_to_takedown: tuple[float, ...]
    by_category: Mapping[str, Breakdown]
    by_target_role: Mapping[str, Breakdown]
    decisions_by_action: Mapping[str, int]
    appeals_filed: int
    appeals_decided: int
    appeals_upheld: int
    appeals_reversed: int
    referrals_created: int
    referrals_sent: int
    hours_first_report_to_referral: tuple[float, ...]
    weekly: tuple[tuple[date, Mapping[str, int]], ...] = field(default_factory=tuple)
    dsa: DsaFigures = field(default_factory=lambda: DsaFigures())
    platform_response: PlatformResponse | None = None
    by_target_nation: Mapping[str, Breakdown] = field(default_factory=dict)
    """By the place of the person targeted: the UK nation, or the country outside the UK."""
    by_message_nation: Mapping[str, Breakdown] = field(default_factory=dict)
    """By the place the message came from, where its source says (`not_recorded` where not)."""

    @property
    def taken_down_share(self) -> float | None:
        return share(self.taken_down, self.items_reported)

    @property
    def median_hours(self) -> float | None:
        return percentile(self.hours_to_takedown, 0.5)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hours_to_takedown, 0.9)

    @property
    def within_24h_share(self) -> float | None:
        return share(sum(h <= DAY_HOURS for h in self.hours_to_takedown), len(self.hours_to_takedown))

    @property
    def within_7d_share(self) -> float | None:
        return share(sum(h <= WEEK_HOURS for h in self.hours_to_takedown), len(self.hours_to_takedown))

    @property
    def later_share(self) -> float | None:
        return share(sum(h > WEEK_HOURS for h in self.hours_to_takedown), len(self.hours_to_takedown))

    @property
    def distribution(self) -> list[tuple[str, int]]:
        counts = [0] * len(BUCKETS)
        for hours in self.hours_to_takedown:
            counts[next(i for i, (_, bound) in enumerate(BUCKETS) if hours <= bound)] += 1
        return [(name, count) for (name, _), count in zip(BUCKETS, counts, strict=True)]

    @property
    def reversal_share(self) -> float | None:
        return share(self.appeals_reversed, self.appeals_decided)

    @property
    def categories(self) -> list[str]:
        return sorted(self.by_category)

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period.to_json(),
            "reports_received": self.reports_received,
            "by_source": dict(self.by_source),
            "by_reporter_kind": dict(sorted(self.by_reporter_kind.items())),
            "items_reported": self.items_reported,
            "taken_down": self.taken_down,
            "taken_down_share": _round(self.taken_down_share, 4),
            "time_to_takedown_hours": {
                "median": _round(self.median_hours, 2),
                "p90": _round(self.p90_hours, 2),
            },
            "within_24h_share": _round(self.within_24h_share, 4),
            "within_7d_share": _round(self.within_7d_share, 4),
            "later_share": _round(self.later_share, 4),
            "time_to_takedown_distribution": dict(self.distribution),
            "by_category": {name: b.to_json() for name, b in sorted(self.by_category.items())},
            "by_target_role": {name: b.to_json() for name, b in sorted(self.by_target_role.items())},
            "by_target_nation": {name: b.to_json() for name, b in sorted(self.by_target_nation.items())},
            "by_message_nation": {name: b.to_json() for name, b in sorted(self.by_message_nation.items())},
            "decisions_by_action": dict(sorted(self.decisions_by_action.items())),
            "appeals": {
                "filed": self.appeals_filed,
                "decided": self.appeals_decided,
                "upheld": self.appeals_upheld,
                "reversed": self.appeals_reversed,
                "reversal_share": _round(self.reversal_share, 4),
            },
            "referrals_to_police": {
                "created": self.referrals_created,
                "sent": self.referrals_sent,
                "median_hours_first_report_to_referral": _round(
                    percentile(self.hours_first_report_to_referral, 0.5), 2
                ),
            },
            "weekly_reports": [
                {"week_starting": week.isoformat(), "by_category": dict(sorted(counts.items()))}
                for week, counts in self.weekly
            ],
            "dsa_harmonised": self.dsa.to_json(),
            "platform_response": None if self.platform_response is None else self.platform_response.to_json(),
        }


NOTICE_KINDS = frozenset(
    {
        ReporterKind.USER.value,
        ReporterKind.TARGET.value,
        ReporterKind.DELEGATE.value,
        ReporterKind.TRUSTED_FLAGGER.value,
    }
)
"""Reports that are notices (DSA Articles 16 and 22); the rest (the detector's) are own initiative."""
AUTOMATED_DECISIONS = frozenset({"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY"})


def restriction_type(action: str) -> str | None:
    """The harmonised templates' type of restriction for an action, from what its statement
    declares (`effects_of`): `account` where it suspends the account, else `visibility`; None for
    `no_action` (or an action Hustings does not know)."""
    try:
        effects = effects_of(Action(action))
    except (ValueError, InvalidInput):
        return None
    return "account" if "decision_account" in effects else "visibility"


@dataclass(frozen=True, slots=True)
class DsaFigures:
    """What the DSA's harmonised transparency reporting templates (Implementing Regulation (EU)
    2024/2835) ask that the log already knows, for decisions and appeals in the period."""

    notices_received: int = 0
    notices_processed_by_automated_means: int = 0
    """Notices whose item was next decided with `automated_decision` fully or partially automated."""
    own_initiative_by_detection: Mapping[str, int] = field(default_factory=dict)
    """Own-initiative decisions that restrict something, by `automated` or `manual` detection."""
    own_initiative_by_restriction: Mapping[str, int] = field(default_factory=dict)
    appeal_hours: tuple[float, ...] = ()
    automated_flags_decided: int = 0
    automated_flags_upheld: int = 0

    @property
    def automated_flags_upheld_share(self) -> float | None:
        return share(self.automated_flags_upheld, self.automated_flags_decided)

    def to_json(self) -> dict[str, Any]:
        return {
            "notices_received": self.notices_received,
            "notices_processed_by_automated_means": self.notices_processed_by_automated_means,
            "own_initiative_decisions_by_detection": dict(sorted(self.own_initiative_by_detection.items())),
            "own_initiative_decisions_by_restriction": dict(
                sorted(self.own_initiative_by_restriction.items())
            ),
            "appeals_decided": len(self.appeal_hours),
            "median_hours_to_decide_appeal": _round(percentile(self.appeal_hours, 0.5), 2),
            "automated_flags_decided": self.automated_flags_decided,
            "automated_flags_upheld": self.automated_flags_upheld,
            "automated_flags_upheld_share": _round(self.automated_flags_upheld_share, 4),
        }


def dsa_figures(ordered: Sequence[Event], period: Period) -> DsaFigures:
    """The harmonised templates' figures from message events in log order (see docs/transparency.md)."""
    start_at, end_at = period.start_at, period.end_at
    notices_waiting: dict[str, int] = defaultdict(int)  # notices in the period not yet decided
    reporter_kinds: dict[str, set[str]] = defaultdict(set)
    appeal_filed_at: dict[str, datetime] = {}
    notices = automated_notices = decided_flags = upheld_flags = 0
    by_detection: Counter[str] = Counter()
    by_restriction: Counter[str] = Counter()
    appeal_hours: list[float] = []
    for event in ordered:
        if event.subject_type != MESSAGE:
            continue
        inside = start_at <= event.occurred_at < end_at
        mid = event.subject_id
        if event.kind == REPORT_FILED:
            kind = FiledReport.from_event(event).reporter_kind
            reporter_kinds[mid].add(kind)
            if inside and kind in NOTICE_KINDS:
                notices += 1
                notices_waiting[mid] += 1
        elif event.kind == DECISION_MADE and inside:
            action = str(event.payload.get("action", ""))
            statement = event.payload.get("statement") or {}
            if isinstance(statement, dict) and statement.get("automated_decision") in AUTOMATED_DECISIONS:
                automated_notices += notices_waiting[mid]
            notices_waiting[mid] = 0
            kinds = reporter_kinds[mid]
            automated = ReporterKind.AUTOMATED.value in kinds
            if automated:
                decided_flags += 1
                upheld_flags += action != Action.NO_ACTION.value
            restriction = restriction_type(action)
            if not kinds & NOTICE_KINDS and restriction is not None:
                by_detection["automated" if automated else "manual"] += 1
                by_restriction[restriction] += 1
        elif event.kind == APPEAL_FILED:
            appeal_filed_at[mid] = event.occurred_at
        elif event.kind == APPEAL_DECIDED and inside and mid in appeal_filed_at:
            appeal_hours.append(hours_between(appeal_filed_at[mid], event.occurred_at))
    return DsaFigures(
        notices_received=notices,
        notices_processed_by_automated_means=automated_notices,
        own_initiative_by_detection=dict(by_detection),
        own_initiative_by_restriction=dict(by_restriction),
        appeal_hours=tuple(sorted(appeal_hours)),
        automated_flags_decided=decided_flags,
        automated_flags_upheld=upheld_flags,
    )


@dataclass
class _Item:
    """What the report needs to know about one message."""

    target_ids: list[str] = field(default_factory=list)
    first_report_at: datetime | None = None
    category: str = "other"
    first_takedown_at: datetime | None = None
    place: str = NOT_RECORDED


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def hours_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def message_place(payload: Mapping[str, Any]) -> str:
    """The place a `message.ingested` payload says the message came from (`hustings.places`)."""
    country, nation = payload.get("country"), payload.get("nation")
    return place_of(
        str(country) if country else None,
        str(nation) if nation else None,
    )


def compute_report(
    events: Iterable[Event],
    target_roles: Mapping[str, str],
    period: Period,
    target_places: Mapping[str, str] | None = None,
) -> TransparencyReport:
    """The report for `period` from the log. `target_roles` maps target id to role, and
    `target_places` target id to place (`hustings.places.place_of`)."""
    places = target_places or {}
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.seq or 0))
    items: dict[str, _Item] = defaultdict(_Item)
    start_at, end_at = period.start_at, period.end_at
    # A message's targets and place are what its `message.ingested` (before the period's end) says,
    # wherever it falls in the log among the message's reports.
    for event in ordered:
        if event.kind == MESSAGE_INGESTED and event.subject_type == MESSAGE and event.occurred_at < end_at:
            item = items[event.subject_id]
            item.target_ids = [str(t) for t in event.payload.get("target_ids", [])]
            item.place = message_place(event.payload)
    by_source: Counter[str] = Counter(dict.fromkeys(SOURCES, 0))
    by_kind: Counter[str] = Counter()
    reports_by_category: Counter[str] = Counter()
    reports_by_role: Counter[str] = Counter()
    reports_by_nation: Counter[str] = Counter()
    reports_by_message_nation: Counter[str] = Counter()
    weekly: dict[date, Counter[str]] = {}
    week = week_start(period.start)
    while week <= period.last:
        weekly[week] = Counter()
        week += timedelta(days=7)
    decisions: Counter[str] = Counter()
    appeals: Counter[str] = Counter()
    referrals_created = 0
    sent: set[str] = set()
    first_report_of_referral: dict[str, str | None] = {}
    hours_to_referral: list[float] = []
    sent_in_period = 0
    for event in ordered:
        inside = start_at <= event.occurred_at < end_at
        if event.subject_type == MESSAGE:
            item = items[event.subject_id]
            if event.kind == REPORT_FILED:
                report = FiledReport.from_event(event)
                category = report.category
                if item.first_report_at is None:
                    item.first_report_at = event.occurred_at
                    item.category = category
                if inside:
                    kind = report.reporter_kind
                    by_source[source_of(kind)] += 1
                    by_kind[kind] += 1
                    reports_by_category[category] += 1
                    for role in labels_of(item.target_ids, target_roles):
                        reports_by_role[role] += 1
                    for place in labels_of(item.target_ids, places):
                        reports_by_nation[place] += 1
                    reports_by_message_nation[item.place] += 1
                    weekly[week_start(event.occurred_at.date())][category] += 1
            elif event.kind == DECISION_MADE:
                action = str(event.payload.get("action", ""))
                if inside:
                    decisions[action] += 1
                if (
                    action in TAKEDOWN_ACTIONS
                    and item.first_takedown_at is None
                    and event.occurred_at < end_at
                ):
                    item.first_takedown_at = event.occurred_at
            elif event.kind == APPEAL_FILED and inside:
                appeals["filed"] += 1
            elif event.kind == APPEAL_DECIDED and inside:
                appeals["decided"] += 1
                appeals[str(event.payload.get("outcome", ""))] += 1
        elif event.subject_type == REFERRAL:
            if event.kind == REFERRAL_CREATED:
                first_report_of_referral[event.subject_id] = event.payload.get("first_report_at")
                referrals_created += inside
            elif event.kind == REFERRAL_SENT and event.subject_id not in sent:
                sent.add(event.subject_id)
                if inside:
                    sent_in_period += 1
                    began = parse_iso(first_report_of_referral.get(event.subject_id))
                    if began is not None:
                        hours_to_referral.append(hours_between(began, event.occurred_at))
    cohort = {
        mid: item
        for mid, item in items.items()
        if item.first_report_at is not None and start_at <= item.first_report_at < end_at
    }
    hours: list[float] = []
    per_category: dict[str, list[_Item]] = defaultdict(list)
    per_role: dict[str, list[_Item]] = defaultdict(list)
    per_nation: dict[str, list[_Item]] = defaultdict(list)
    per_message_nation: dict[str, list[_Item]] = defaultdict(list)
    for item in cohort.values():
        per_category[item.category].append(item)
        for role in labels_of(item.target_ids, target_roles):
            per_role[role].append(item)
        for place in labels_of(item.target_ids, places):
            per_nation[place].append(item)
        per_message_nation[item.place].append(item)
        if item.first_takedown_at is not None and item.first_report_at is not None:
            hours.append(hours_between(item.first_report_at, item.first_takedown_at))
    return TransparencyReport(
        period=period,
        reports_received=sum(by_kind.values()),
        by_source=dict(by_source),
        by_reporter_kind=dict(by_kind),
        items_reported=len(cohort),
        taken_down=len(hours),
        hours_to_takedown=tuple(sorted(hours)),
        by_category=_breakdowns(reports_by_category, per_category),
        by_target_role=_breakdowns(reports_by_role, per_role),
        by_target_nation=_breakdowns(reports_by_nation, per_nation),
        by_message_nation=_breakdowns(reports_by_message_nation, per_message_nation),
        decisions_by_action=dict(decisions),
        appeals_filed=appeals["filed"],
        appeals_decided=appeals["decided"],
        appeals_upheld=appeals["upheld"],
        appeals_reversed=appeals["reversed"],
        referrals_created=referrals_created,
        referrals_sent=sent_in_period,
        hours_first_report_to_referral=tuple(sorted(hours_to_referral)),
        weekly=tuple((week, dict(counts)) for week, counts in sorted(weekly.items())),
        dsa=dsa_figures(ordered, period),
        platform_response=_platform_response(ordered, period),
    )


def _breakdowns(reports: Mapping[str, int], items: Mapping[str, Sequence[_Item]]) -> dict[str, Breakdown]:
    return {name: _breakdown(reports.get(name, 0), items.get(name, [])) for name in set(reports) | set(items)}


def _platform_response(ordered: Sequence[Event], period: Period) -> PlatformResponse:
    # Measured as of the newest event the period's log holds, which is what it knows of time: a
    # referral's 24 hours are not judged before they pass, nor later answers counted.
    newest = max((e.occurred_at for e in ordered if e.occurred_at < period.end_at), default=period.start_at)
    return platform_response(
        [event for event in ordered if event.subject_type == PLATFORM_REFERRAL],
        as_of=newest,
        sent_from=period.start_at,
        sent_before=period.end_at,
    )


def labels_of(target_ids: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    """The distinct labels (roles, places) of a message's targets; `unregistered` for a target
    not in the register, and for a message with none."""
    found = sorted({labels.get(t, UNREGISTERED) for t in target_ids})
    return found or [UNREGISTERED]


def _breakdown(reports: int, items: Sequence[_Item]) -> Breakdown:
    hours = [
        hours_between(i.first_report_at, i.first_takedown_at)
        for i in items
        if i.first_report_at is not None and i.first_takedown_at is not None
    ]
    return Breakdown(
        reports_received=reports, items_reported=len(items), taken_down=len(hours), hours=tuple(sorted(hours))
    )
