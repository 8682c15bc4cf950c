"""The quarterly figures, from the event log only (recommendation 15, and the EHRC's quarterly data).

A pure fold over a party's complaint and access events: complaints received by category,
characteristic and source; the stage reached by the end of the quarter; assessments, decisions
and sanctions; time spent in each stage that ended in the quarter (median, 90th percentile, share
within the limit); break-glass openings. Counts from 1 to `SUPPRESS_BELOW - 1` are suppressed
(None) so that no person can be identified; so are the times of a stage left fewer times than that.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hustings.complaints import events as ev
from hustings.complaints.model import CaseState
from hustings.errors import InvalidInput
from hustings.events import Event, Status

SUPPRESS_BELOW = 5


@dataclass(frozen=True, slots=True)
class Quarter:
    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise InvalidInput(f"quarter: {self.number} is not 1, 2, 3 or 4")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026-Q4``."""
        year, _, number = text.upper().partition("-Q")
        if not (year.isdigit() and number.isdigit() and len(year) == 4):
            raise InvalidInput(f"quarter: {text!r} is not like 2026-Q4")
        return cls(int(year), int(number))

    @classmethod
    def of(cls, moment: datetime) -> Quarter:
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return (
            Quarter(self.year + 1, 1).start if self.number == 4 else Quarter(self.year, self.number + 1).start
        )

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass(frozen=True, slots=True)
class StageTimes:
    left: int | None
    """How many times a case left the stage in the quarter (suppressed when small)."""
    median_days: float | None
    p90_days: float | None
    share_within_limit: float | None


@dataclass(frozen=True, slots=True)
class QuarterlyFigures:
    party: str
    quarter: str
    received: int | None
    by_category: dict[str, int | None] = field(default_factory=dict)
    by_characteristic: dict[str, int | None] = field(default_factory=dict)
    by_source: dict[str, int | None] = field(default_factory=dict)
    stage_reached: dict[str, int | None] = field(default_factory=dict)
    assessments: dict[str, int | None] = field(default_factory=dict)
    outcomes: dict[str, int | None] = field(default_factory=dict)
    sanctions: dict[str, int | None] = field(default_factory=dict)
    stage_times: dict[str, StageTimes] = field(default_factory=dict)
    break_glass: int | None = None


def suppress(count: int) -> int | None:
    return None if 0 < count < SUPPRESS_BELOW else count


def _suppressed(counts: Mapping[str, int]) -> dict[str, int | None]:
    return {key: suppress(value) for key, value in sorted(counts.items())}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def quarterly_figures(events: Iterable[Event], party: str, quarter: Quarter) -> QuarterlyFigures:
    """The party's figures for the quarter, from its events in log order."""
    statuses: dict[str, Status] = {}
    received: Counter[str] = Counter()
    characteristics: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    assessments: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    sanctions: Counter[str] = Counter()
    durations: dict[str, list[tuple[float, bool]]] = {}
    break_glass = 0
    for event in events:
        if event.subject_type == ev.ACCESS:
            if (
                event.payload["party"] == party
                and event.payload["break_glass_reason"]
                and event.occurred_at in quarter
            ):
                break_glass += 1
            continue
        if event.subject_type != ev.COMPLAINT or event.occurred_at >= quarter.end:
            continue
        before = statuses.get(event.subject_id)
        if event.kind != ev.FILED and before is None:
            continue
        if (before.data["party"] if before else event.payload["party"]) != party:
            continue
        after = ev.reduce_complaint(before, event)
        statuses[event.subject_id] = after
        if event.occurred_at < quarter.start:
            continue
        p = event.payload
        if event.kind == ev.FILED:
            received[p["category"]] += 1
            sources[p["source"]] += 1
            if p["characteristic"]:
                characteristics[p["characteristic"]] += 1
        elif event.kind == ev.ASSESSED:
            assessments[p["assessment"]] += 1
        elif event.kind in (ev.DECIDED, ev.APPEAL_DECIDED, ev.CLOSED) and p.get("outcome"):
            outcomes[p["outcome"]] += 1
        if event.kind in (ev.DECIDED, ev.APPEAL_DECIDED) and p.get("sanction"):
            sanctions[p["sanction"]] += 1
        if before is not None and after.state != before.state:
            entered = datetime.fromisoformat(before.data["stage_entered_at"])
            days = _days(event.occurred_at - entered)
            limit = before.data["limits"].get(before.state, 0)
            durations.setdefault(before.state, []).append((days, not limit or days <= limit))
    reached: Counter[str] = Counter(
        s.state for s in statuses.values() if datetime.fromisoformat(s.data["received_at"]) in quarter
    )
    times = {}
    for state in CaseState:
        spent = durations.get(state, [])
        small = len(spent) < SUPPRESS_BELOW
        times[str(state)] = StageTimes(
            left=suppress(len(spent)),
            median_days=None if small else round(percentile([d for d, _ in spent], 0.5), 2),
            p90_days=None if small else round(percentile([d for d, _ in spent], 0.9), 2),
            share_within_limit=None if small else round(sum(ok for _, ok in spent) / len(spent), 3),
        )
    return QuarterlyFigures(
        party=party,
        quarter=str(quarter),
        received=suppress(sum(received.values())),
        by_category=_suppressed(received),
        by_characteristic=_suppressed(characteristics),
        by_source=_suppressed(sources),
        stage_reached=_suppressed(reached),
        assessments=_suppressed(assessments),
        outcomes=_suppressed(outcomes),
        sanctions=_suppressed(sanctions),
        stage_times=times,
        break_glass=suppress(break_glass),
    )
