"""The quarterly figures, from the event log only (recommendation 15, and the EHRC's quarterly data).

A pure fold over a party's complaint and access events: complaints received by category,
characteristic and source; the stage reached by the end of the quarter; assessments, decisions
and sanctions; time spent in each stage that ended in the quarter (median, 90th percentile, share
within the limit); appeals lodged and decided (a reversal is an appeal upheld); communications due
to a party in the quarter and whether each was on time; the confidence survey (sent, answered,
the answers to each question); referrals to the joint panel; break-glass openings. Counts from 1
to `SUPPRESS_BELOW - 1` are suppressed (None) so that no person can be identified; so are the
times of a stage left fewer times than that, and any share or mean taken over fewer cases.

The joint panel's figures (scope `JOINT`) are the same fold over every party's cases referred to
it by the end of the quarter: its decisions and timings, reported apart from any one party's.
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
JOINT = "joint-panel"
"""The scope of the joint panel's figures: every party's cases referred to it."""
DEFAULT_COMMUNICATION_DAYS = 5
"""For a case filed before its complaint recorded the code's `communication_days`."""


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
    appeals: dict[str, int | None] = field(default_factory=dict)
    """``lodged``, ``upheld`` (the decision reversed) and ``dismissed`` in the quarter."""
    communications: dict[str, int | None] = field(default_factory=dict)
    """``due`` (a party to be told of a stage begun in the quarter), ``on_time`` and ``late``."""
    communications_on_time: float | None = None
    survey: dict[str, int | None] = field(default_factory=dict)
    """``sent`` and ``answered`` in the quarter."""
    survey_answers: dict[str, dict[str, int | None]] = field(default_factory=dict)
    """For each question, how many answered 1, 2, 3, 4 and 5."""
    survey_means: dict[str, float | None] = field(default_factory=dict)
    referred_joint: int | None = None
    break_glass: int | None = None


def suppress(count: int, below: int = SUPPRESS_BELOW) -> int | None:
    return None if 0 < count < below else count


def _suppressed(counts: Mapping[str, int], below: int) -> dict[str, int | None]:
    return {key: suppress(value, below) for key, value in sorted(counts.items())}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _share(part: int, whole: int, below: int) -> float | None:
    return None if whole < max(below, 1) else round(part / whole, 3)


def in_scope(events: Iterable[Event], scope: str, quarter: Quarter) -> set[str]:
    """The cases a scope covers: a party's own, or (`JOINT`) those referred to the joint panel by
    the end of the quarter, whichever party's they are."""
    found = set()
    for event in events:
        if event.subject_type != ev.COMPLAINT:
            continue
        if scope == JOINT:
            if event.kind == ev.REFERRED_JOINT and event.occurred_at < quarter.end:
                found.add(event.subject_id)
        elif event.kind == ev.FILED and event.payload["party"] == scope:
            found.add(event.subject_id)
    return found


def quarterly_figures(
    events: Iterable[Event],
    scope: str,
    quarter: Quarter,
    *,
    characteristics: Mapping[str, str | None] | None = None,
    now: datetime | None = None,
    suppress_below: int = SUPPRESS_BELOW,
) -> QuarterlyFigures:
    """The figures of a party (or `JOINT`) for the quarter, from its events in log order.

    `characteristics`: each case's protected characteristic, which the log holds sealed (the
    service opens it); a case filed before sealing has it in the clear. `now`: a communication
    not yet due by then is not counted (the quarter's end, when not given). `suppress_below`: 1
    shows every figure (for the tests that recount them; never for a published report)."""
    below = suppress_below
    events = list(events)
    cases = in_scope(events, scope, quarter)
    horizon = quarter.end if now is None else min(quarter.end, now)
    statuses: dict[str, Status] = {}
    received: Counter[str] = Counter()
    characteristic_counts: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    assessments: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    sanctions: Counter[str] = Counter()
    appeals: Counter[str] = Counter({"lodged": 0, "upheld": 0, "dismissed": 0})
    survey: Counter[str] = Counter({"sent": 0, "answered": 0})
    answers: dict[str, list[int]] = {}
    durations: dict[str, list[tuple[float, bool]]] = {}
    stage_starts: dict[str, list[datetime]] = {}
    told: dict[tuple[str, str], list[datetime]] = {}
    reachable: dict[str, list[str]] = {}
    tell_within: dict[str, timedelta] = {}
    referred = 0
    break_glass = 0
    for event in events:
        if event.subject_type == ev.ACCESS:
            if (
                scope != JOINT
                and event.payload["party"] == scope
                and event.payload["break_glass_reason"]
                and event.occurred_at in quarter
            ):
                break_glass += 1
            continue
        if (
            event.subject_type != ev.COMPLAINT
            or event.subject_id not in cases
            or event.occurred_at >= quarter.end
        ):
            continue
        before = statuses.get(event.subject_id)
        if event.kind != ev.FILED and before is None:
            continue
        after = ev.reduce_complaint(before, event)
        statuses[event.subject_id] = after
        p = event.payload
        if event.kind == ev.FILED:
            reachable[event.subject_id] = sorted(ev.reachable(after.data))
            tell_within[event.subject_id] = timedelta(
                days=p.get("communication_days", DEFAULT_COMMUNICATION_DAYS)
            )
        if before is None or after.state != before.state:
            stage_starts.setdefault(event.subject_id, []).append(event.occurred_at)
        if event.kind == ev.COMMUNICATED:
            told.setdefault((event.subject_id, p["to"]), []).append(event.occurred_at)
        if event.occurred_at < quarter.start:
            continue
        if event.kind == ev.FILED:
            received[p["category"]] += 1
            sources[p["source"]] += 1
            characteristic = (
                p["characteristic"]
                if "characteristic" in p
                else (characteristics or {}).get(event.subject_id)
            )
            if characteristic:
                characteristic_counts[characteristic] += 1
        elif event.kind == ev.ASSESSED:
            assessments[p["assessment"]] += 1
        elif event.kind in (ev.DECIDED, ev.APPEAL_DECIDED, ev.CLOSED) and p.get("outcome"):
            outcomes[p["outcome"]] += 1
        if event.kind in (ev.DECIDED, ev.APPEAL_DECIDED) and p.get("sanction"):
            sanctions[p["sanction"]] += 1
        if event.kind == ev.APPEALED:
            appeals["lodged"] += 1
        elif event.kind == ev.APPEAL_DECIDED:
            appeals["upheld" if p["outcome"] == "appeal upheld" else "dismissed"] += 1
        elif event.kind == ev.SURVEY_SENT:
            survey["sent"] += 1
        elif event.kind == ev.SURVEY_ANSWERED:
            survey["answered"] += 1
            for question, score in p["scores"].items():
                answers.setdefault(question, []).append(score)
        elif event.kind == ev.REFERRED_JOINT:
            referred += 1
        if before is not None and after.state != before.state:
            entered = datetime.fromisoformat(before.data["stage_entered_at"])
            days = _days(event.occurred_at - entered)
            limit = before.data["limits"].get(before.state, 0)
            durations.setdefault(before.state, []).append((days, not limit or days <= limit))
    on_time = late = 0
    for reference, starts in stage_starts.items():
        for begun in starts:
            if begun not in quarter:
                continue
            tell_by = begun + tell_within[reference]
            for recipient in reachable[reference]:
                in_time = any(begun <= at <= tell_by for at in told.get((reference, recipient), []))
                if in_time:
                    on_time += 1
                elif tell_by < horizon:
                    late += 1
    reached: Counter[str] = Counter(
        s.state for s in statuses.values() if datetime.fromisoformat(s.data["received_at"]) in quarter
    )
    times = {}
    for state in CaseState:
        spent = durations.get(state, [])
        small = len(spent) < max(below, 1)
        times[str(state)] = StageTimes(
            left=suppress(len(spent), below),
            median_days=None if small else round(percentile([d for d, _ in spent], 0.5), 2),
            p90_days=None if small else round(percentile([d for d, _ in spent], 0.9), 2),
            share_within_limit=None if small else round(sum(ok for _, ok in spent) / len(spent), 3),
        )
    return QuarterlyFigures(
        party=scope,
        quarter=str(quarter),
        received=suppress(sum(received.values()), below),
        by_category=_suppressed(received, below),
        by_characteristic=_suppressed(characteristic_counts, below),
        by_source=_suppressed(sources, below),
        stage_reached=_suppressed(reached, below),
        assessments=_suppressed(assessments, below),
        outcomes=_suppressed(outcomes, below),
        sanctions=_suppressed(sanctions, below),
        stage_times=times,
        appeals={key: suppress(appeals[key], below) for key in ("lodged", "upheld", "dismissed")},
        communications={
            "due": suppress(on_time + late, below),
            "on_time": suppress(on_time, below),
            "late": suppress(late, below),
        },
        communications_on_time=_share(on_time, on_time + late, below),
        survey={key: suppress(survey[key], below) for key in ("sent", "answered")},
        survey_answers={
            question: {str(score): suppress(scores.count(score), below) for score in range(1, 6)}
            for question, scores in sorted(answers.items())
        },
        survey_means={
            question: None if len(scores) < max(below, 1) else round(sum(scores) / len(scores), 2)
            for question, scores in sorted(answers.items())
        },
        referred_joint=suppress(referred, below),
        break_glass=suppress(break_glass, below),
    )


def figure_rows(figures: QuarterlyFigures) -> list[tuple[str, str, str]]:
    """The figures as rows of (section, item, value) for a CSV; a suppressed figure reads `suppressed`."""

    def shown(value: object) -> str:
        return "suppressed" if value is None else str(value)

    rows: list[tuple[str, str, str]] = [("received", "all", shown(figures.received))]
    for section in (
        "by_category",
        "by_characteristic",
        "by_source",
        "stage_reached",
        "assessments",
        "outcomes",
        "sanctions",
        "appeals",
        "communications",
        "survey",
    ):
        counts: Mapping[str, int | None] = getattr(figures, section)
        rows.extend((section, key, shown(value)) for key, value in counts.items())
    rows.append(("communications", "share_on_time", shown(figures.communications_on_time)))
    for question, scores in figures.survey_answers.items():
        rows.extend((f"survey:{question}", score, shown(count)) for score, count in scores.items())
        rows.append((f"survey:{question}", "mean", shown(figures.survey_means.get(question))))
    for state, t in figures.stage_times.items():
        rows.extend(
            (f"stage_times:{state}", name, shown(value))
            for name, value in (
                ("left", t.left),
                ("median_days", t.median_days),
                ("p90_days", t.p90_days),
                ("share_within_limit", t.share_within_limit),
            )
        )
    rows.append(("referred_joint", "all", shown(figures.referred_joint)))
    rows.append(("break_glass", "all", shown(figures.break_glass)))
    return rows
