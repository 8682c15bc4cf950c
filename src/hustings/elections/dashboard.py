"""The election dashboard: reports and incidents about an election's candidates, by candidate,
party, ballot and label, day by day, and who is under an open pile-on now.

`build_dashboard` is a pure function of the candidates, the reports filed on messages to them
(with the targets each message names) and their incidents; `ElectionDashboards` reads those
through a `DashboardStore` (SQL in `hustings.storage.dashboard`). A report counts once for each
candidate its message names; its label is the report's category.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from hustings.clock import Clock, as_utc
from hustings.elections.model import Election
from hustings.elections.service import Nomination
from hustings.events import Event, Status
from hustings.moderation.events import FiledReport
from hustings.protection.events import IncidentState

MAX_DAYS = 400


@dataclass(frozen=True, slots=True)
class Tally:
    """Reports and incidents (pile-ons opened) for one candidate, party, ballot or label."""

    reports: int = 0
    incidents: int = 0


@dataclass(frozen=True, slots=True)
class CandidateRow:
    target_id: str
    name: str
    party: str
    ballot: str
    post: str
    tally: Tally


@dataclass(frozen=True, slots=True)
class PileOn:
    """A candidate under an open pile-on now."""

    incident_id: str
    target_id: str
    name: str
    party: str
    ballot: str
    severity: float
    opened_at: datetime | None
    messages: int


@dataclass(frozen=True, slots=True)
class ElectionDashboard:
    election_id: str
    first_day: date
    last_day: date
    days: tuple[tuple[date, Mapping[str, int]], ...]
    """Reports each day, by label."""
    incidents_by_day: tuple[tuple[date, int], ...]
    by_candidate: tuple[CandidateRow, ...]
    """Most reported first."""
    by_party: Mapping[str, Tally]
    by_ballot: Mapping[str, Tally]
    by_label: Mapping[str, int]
    pile_ons: tuple[PileOn, ...]

    @property
    def timeline(self) -> list[tuple[date, Mapping[str, int], int]]:
        """Each day with its reports by label and the pile-ons opened."""
        opened = dict(self.incidents_by_day)
        return [(day, counts, opened.get(day, 0)) for day, counts in self.days]

    @property
    def reports(self) -> int:
        return sum(sum(counts.values()) for _, counts in self.days)

    @property
    def incidents(self) -> int:
        return sum(count for _, count in self.incidents_by_day)


def build_dashboard(
    election_id: str,
    nominations: Sequence[Nomination],
    reports: Iterable[Event],
    message_targets: Mapping[str, Sequence[str]],
    incidents: Iterable[Status],
    *,
    first_day: date,
    last_day: date,
) -> ElectionDashboard:
    """The dashboard for the days from `first_day` to `last_day`; reports and incidents outside them are left out."""
    people: dict[str, Nomination] = {}
    for nomination in nominations:
        people.setdefault(nomination.candidate.target_id, nomination)
    days: dict[date, Counter[str]] = {}
    day = first_day
    while day <= last_day:
        days[day] = Counter()
        day += timedelta(days=1)
    incident_days: Counter[date] = Counter()
    reports_of: Counter[str] = Counter()
    incidents_of: Counter[str] = Counter()
    by_label: Counter[str] = Counter()
    for event in reports:
        on = as_utc(event.occurred_at).date()
        named = [t for t in dict.fromkeys(message_targets.get(event.subject_id, ())) if t in people]
        if on not in days or not named:
            continue
        label = FiledReport.from_event(event).category
        days[on][label] += 1
        by_label[label] += 1
        reports_of.update(named)
    pile_ons: list[PileOn] = []
    for status in incidents:
        target = status.target_id
        if target is None or target not in people:
            continue
        opened = status.data.get("opened_at")
        opened_at = as_utc(datetime.fromisoformat(opened)) if opened else None
        if opened_at is not None and opened_at.date() in days:
            incident_days[opened_at.date()] += 1
            incidents_of[target] += 1
        if status.state == IncidentState.OPEN:
            nomination = people[target]
            pile_ons.append(
                PileOn(
                    incident_id=status.subject_id,
                    target_id=target,
                    name=nomination.candidate.name,
                    party=nomination.candidacy.party_name,
                    ballot=nomination.candidacy.ballot_paper_id,
                    severity=status.priority,
                    opened_at=opened_at,
                    messages=len(status.data.get("message_ids", [])),
                )
            )
    rows = [
        CandidateRow(
            target_id=target,
            name=n.candidate.name,
            party=n.candidacy.party_name,
            ballot=n.candidacy.ballot_paper_id,
            post=n.candidacy.post_label,
            tally=Tally(reports_of[target], incidents_of[target]),
        )
        for target, n in people.items()
    ]
    rows.sort(key=lambda r: (-r.tally.reports, -r.tally.incidents, r.name, r.target_id))
    return ElectionDashboard(
        election_id=election_id,
        first_day=first_day,
        last_day=last_day,
        days=tuple((d, dict(counts)) for d, counts in sorted(days.items())),
        incidents_by_day=tuple(sorted((d, incident_days[d]) for d in days)),
        by_candidate=tuple(rows),
        by_party=_group(rows, lambda r: r.party or "no party"),
        by_ballot=_group(rows, lambda r: r.ballot),
        by_label=dict(by_label),
        pile_ons=tuple(sorted(pile_ons, key=lambda p: (-p.severity, p.name))),
    )


def _group(rows: Sequence[CandidateRow], key: Callable[[CandidateRow], str]) -> dict[str, Tally]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        total = totals[key(row)]
        total[0] += row.tally.reports
        total[1] += row.tally.incidents
    return {name: Tally(r, i) for name, (r, i) in sorted(totals.items())}


class DashboardStore(Protocol):
    """What the dashboard reads. Never writes."""

    def message_targets(self, target_ids: Sequence[str]) -> dict[str, list[str]]:
        """The messages naming any of these targets, each with the targets it names (of these)."""
        ...

    def report_events(self, target_ids: Sequence[str], *, since: datetime, until: datetime) -> list[Event]:
        """`report.filed` in [since, until) on messages naming any of these targets, in log order."""
        ...

    def incidents(self, target_ids: Sequence[str]) -> list[Status]:
        """The incidents (pile-ons) against these targets, open or closed."""
        ...


class ElectionDashboards:
    def __init__(self, store: DashboardStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def build(self, election: Election, nominations: Sequence[Nomination]) -> ElectionDashboard:
        """The dashboard from the start of the election's period to today (or the period's end)."""
        now = as_utc(self.clock.now())
        start = election.dates.period_start
        end = min(election.dates.period_end, now + timedelta(microseconds=1))
        first_day = start.date()
        last_day = max(first_day, min(end.date(), first_day + timedelta(days=MAX_DAYS - 1)))
        targets = sorted({n.candidate.target_id for n in nominations})
        message_targets = self.store.message_targets(targets)
        reports = self.store.report_events(targets, since=start, until=end)
        return build_dashboard(
            election.id,
            nominations,
            reports,
            message_targets,
            self.store.incidents(targets),
            first_day=first_day,
            last_day=last_day,
        )
