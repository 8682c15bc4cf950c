"""The quarterly figures equal a brute-force recount of the log, whatever happened to the cases;
small numbers are suppressed; and the statuses rebuilt from the log equal the incremental ones."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import datetime

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from hustings.auth.model import Role
from hustings.complaints import events as ev
from hustings.complaints.figures import SUPPRESS_BELOW, Quarter, quarterly_figures
from hustings.complaints.model import Assessment, CaseState, Grounds, Recipient, Severity, Source, TeamRole
from hustings.errors import HustingsError
from hustings.events import Event, fold
from hustings.events.registry import default_reducers
from tests.complaints.conftest import PARTY, World, complaint, new_world

GROUNDS = Grounds("reasons", ("1.1",), "the messages")
CATEGORIES = ["intimidation", "harassment", "bullying", "social_media"]
STEPS = [
    "file",
    "file",
    "file",
    "ack",
    "ack",
    "assess",
    "assess",
    "assess",
    "assign",
    "charge",
    "hearing",
    "decide",
    "appeal",
    "appeal_decided",
    "close",
    "glass",
    "other_party",
]

step = st.tuples(st.sampled_from(STEPS), st.integers(0, 7), st.integers(0, 3), st.integers(0, 60))


def play(world: World, index: int, name: str, choice: int) -> None:
    c = world.complaints
    officer = world.as_("officer", Role.COMPLAINTS_OFFICER)
    cases = sorted(case.reference for case in c.cases(officer))
    if name == "file":
        c.file(complaint(category=CATEGORIES[choice], source=list(Source)[choice]), actor="public")
        return
    if name == "other_party":
        c.file(complaint(party="other-party"), actor="public")
        return
    if not cases:
        return
    ref = cases[index % len(cases)]
    panel = world.as_("panel1", Role.PANEL_MEMBER)
    match name:
        case "ack":
            c.acknowledge(ref, officer)
        case "assess":
            c.assess(ref, officer, list(Assessment)[choice % 3], GROUNDS)
        case "assign":
            c.assign(ref, officer, "panel1", TeamRole.PANEL)
        case "charge":
            c.charge(ref, officer, GROUNDS)
        case "hearing":
            c.open_hearing(ref, officer, ["panel1"])
        case "decide":
            sanction = c.code.sanctions.options[choice] if choice else None
            c.decide(
                ref,
                panel,
                GROUNDS,
                proved=bool(choice),
                sanction=sanction,
                severity=Severity.MEDIUM,
                departure="a reason" if choice == 1 else "",
            )
        case "appeal":
            c.appeal(ref, officer, Recipient.RESPONDENT, reason="too harsh")
        case "appeal_decided":
            c.decide_appeal(
                ref, panel, GROUNDS, upheld=choice % 2 == 0, sanction="advice" if choice else None
            )
        case "close":
            c.close(ref, officer, GROUNDS, outcome="resolved")
        case "glass":
            c.open(ref, world.as_("senior", Role.COMPLAINTS_OFFICER), reason="asked by the leader")


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    for rank, value in enumerate(ordered, start=1):
        if rank >= share * len(ordered):
            return value
    raise AssertionError("empty")


def small(count: int) -> int | None:
    return None if 0 < count < SUPPRESS_BELOW else count


def recount(events: list[Event], quarter: Quarter) -> dict[str, object]:
    """The figures counted again, case by case, straight from the events."""
    mine = [e for e in events if e.payload.get("party", PARTY) == PARTY]
    by_case: dict[str, list[Event]] = {}
    for event in events:
        if event.subject_type == ev.COMPLAINT:
            by_case.setdefault(event.subject_id, []).append(event)
    ours = {ref: es for ref, es in by_case.items() if es[0].payload["party"] == PARTY}
    inside = [e for es in ours.values() for e in es if quarter.start <= e.occurred_at < quarter.end]
    filed = [e for e in inside if e.kind == ev.FILED]
    times: dict[str, list[tuple[float, bool]]] = {}
    reached: Counter[str] = Counter()
    for es in ours.values():
        state, entered = CaseState.RECEIVED, es[0].occurred_at
        limits = es[0].payload["limits"]
        for event in es[1:]:
            if event.occurred_at >= quarter.end:
                break
            new = ev.next_state(state, event.kind, event.payload)
            if new != state:
                if event.occurred_at >= quarter.start:
                    days = (event.occurred_at - entered).total_seconds() / 86400
                    times.setdefault(state, []).append((days, not limits[state] or days <= limits[state]))
                state, entered = new, event.occurred_at
        if quarter.start <= es[0].occurred_at < quarter.end:
            reached[state] += 1
    return {
        "received": small(len(filed)),
        "by_category": {k: small(v) for k, v in Counter(e.payload["category"] for e in filed).items()},
        "by_source": {k: small(v) for k, v in Counter(e.payload["source"] for e in filed).items()},
        "stage_reached": {k: small(v) for k, v in reached.items()},
        "sanctions": {
            k: small(v)
            for k, v in Counter(
                e.payload["sanction"]
                for e in inside
                if e.kind in (ev.DECIDED, ev.APPEAL_DECIDED) and e.payload.get("sanction")
            ).items()
        },
        "break_glass": small(
            sum(
                1
                for e in mine
                if e.subject_type == ev.ACCESS
                and e.payload["break_glass_reason"]
                and quarter.start <= e.occurred_at < quarter.end
            )
        ),
        "times": {
            state: (
                round(nearest_rank([d for d, _ in spent], 0.5), 2),
                round(nearest_rank([d for d, _ in spent], 0.9), 2),
                round(sum(ok for _, ok in spent) / len(spent), 3),
            )
            for state, spent in times.items()
            if len(spent) >= SUPPRESS_BELOW
        },
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=120))
def test_the_figures_equal_a_brute_force_recount(steps: list[tuple[str, int, int, int]]) -> None:
    world = new_world()
    for name, index, choice, hours in steps:
        world.clock.advance(hours=hours)
        with contextlib.suppress(HustingsError):  # a step the case's stage refuses writes nothing
            play(world, index, name, choice)
    events = list(world.events.events)
    for quarter in (Quarter(2026, 4), Quarter(2027, 1), Quarter(2027, 2)):
        figures = quarterly_figures(events, PARTY, quarter)
        expected = recount(events, quarter)
        assert figures.received == expected["received"]
        assert figures.by_category == dict(sorted(expected["by_category"].items()))  # type: ignore[attr-defined]
        assert figures.by_source == dict(sorted(expected["by_source"].items()))  # type: ignore[attr-defined]
        assert figures.stage_reached == dict(sorted(expected["stage_reached"].items()))  # type: ignore[attr-defined]
        assert figures.sanctions == dict(sorted(expected["sanctions"].items()))  # type: ignore[attr-defined]
        assert figures.break_glass == expected["break_glass"]
        shown = {
            state: (t.median_days, t.p90_days, t.share_within_limit)
            for state, t in figures.stage_times.items()
            if t.median_days is not None
        }
        assert shown == expected["times"]
    rebuilt = fold(default_reducers(), events)
    assert rebuilt == world.events.statuses


def test_small_numbers_are_suppressed_and_five_are_shown() -> None:
    world = new_world()
    for _ in range(4):
        world.complaints.file(complaint(category="bullying"), actor="public")
    for _ in range(5):
        world.complaints.file(complaint(category="harassment"), actor="public")
    figures = quarterly_figures(world.events.events, PARTY, Quarter.of(world.clock.now()))
    assert figures.by_category == {"bullying": None, "harassment": 5}
    assert figures.received == 9


def test_a_quarter_is_named_like_2026_q4() -> None:
    quarter = Quarter.parse("2026-q4")
    assert (quarter.start, quarter.end) == (
        datetime.fromisoformat("2026-10-01T00:00+00:00"),
        datetime.fromisoformat("2027-01-01T00:00+00:00"),
    )
