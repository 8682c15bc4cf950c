"""The quarterly figures equal a brute-force recount of the log, whatever happened to the cases;
small numbers are suppressed; and the statuses rebuilt from the log equal the incremental ones."""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from datetime import datetime, timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from hustings.auth.model import Role
from hustings.complaints import events as ev
from hustings.complaints.figures import JOINT, SUPPRESS_BELOW, Quarter, quarterly_figures
from hustings.complaints.model import Assessment, CaseState, Grounds, Recipient, Severity, Source, TeamRole
from hustings.errors import HustingsError
from hustings.events import Event, fold
from hustings.events.registry import default_reducers
from tests.complaints.conftest import ADMIN, OTHER, PARTY, World, complaint, new_world

GROUNDS = Grounds("reasons", ("1.1",), "the messages")
CATEGORIES = ["intimidation", "harassment", "election_campaign", "social_media"]
CHARACTERISTICS = ["race", "sex", "age", "disability"]
STEPS = [
    "file",
    "file",
    "file",
    "file_discrimination",
    "communicate",
    "communicate",
    "refer",
    "survey",
    "sweep",
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

step = st.tuples(
    st.sampled_from(STEPS),
    st.just(0) | st.integers(0, 7),  # mostly the oldest open case, so that some go all the way
    st.integers(0, 3),
    st.just(0) | st.integers(0, 60),  # often no time between steps: the edges of every window
)


def play(world: World, index: int, name: str, choice: int, filed: dict[str, str | None]) -> None:
    """One step of a random history; `filed` collects each case's protected characteristic as filed."""
    c = world.complaints
    officer = world.as_("officer", Role.COMPLAINTS_OFFICER)
    cases = sorted(case.reference for case in c.cases(officer))
    if name == "file":
        anonymous = {"complainant": None} if choice == 3 else {}
        case = c.file(
            complaint(category=CATEGORIES[choice], source=list(Source)[choice], **anonymous), actor="public"
        )
        filed[case.reference] = None
        return
    if name == "file_discrimination":
        characteristic = CHARACTERISTICS[choice]
        case = c.file(complaint(category="discrimination", characteristic=characteristic), actor="public")
        filed[case.reference] = characteristic
        return
    if name == "sweep":
        c.sweep_retention()
        return
    if name == "other_party":
        c.file(complaint(party="other-party"), actor="public")
        return
    if not cases:
        return
    if name not in ("survey", "communicate"):  # a step on an open case, so that some go far
        cases = (
            sorted(case.reference for case in c.cases(officer) if case.state is not CaseState.CLOSED) or cases
        )
    ref = cases[index % min(len(cases), 6)]
    panel = world.as_("panel1", Role.PANEL_MEMBER)
    match name:
        case "ack":
            c.acknowledge(ref, officer)
        case "assess":
            assessments = (
                Assessment.INVESTIGATION,
                Assessment.INFORMAL_RESOLUTION,
                Assessment.NO_FURTHER_ACTION,
            )
            c.assess(ref, officer, assessments[choice % 3], GROUNDS)
        case "assign":
            c.assign(ref, officer, "panel1", TeamRole.PANEL)
        case "charge":
            c.charge(ref, officer, GROUNDS)
        case "hearing":
            joint = c.open(ref, officer).joint
            c.open_hearing(ref, officer, ["panel1", "panel-other"] if joint else ["panel1"])
        case "communicate":
            c.communicate(ref, officer, list(Recipient)[choice % 2], "Where your complaint is.")
        case "refer":
            c.refer_joint(ref, officer, reason="two parties' campaigners")
        case "survey":
            case = c.open(ref, officer)
            link = c.survey_link(case, list(Recipient)[choice % 2])
            if link is not None:
                scores = {q.id: 1 + (choice + n) % 5 for n, q in enumerate(c.code.survey)}
                c.answer_survey(link.rsplit("/", 1)[1], scores)
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


def recount(
    events: list[Event],
    quarter: Quarter,
    *,
    scope: str,
    characteristics: dict[str, str | None],
    now: datetime,
    below: int,
) -> dict[str, object]:
    """The figures counted again, case by case, straight from the events, counts from 1 to
    `below - 1` hidden (`below` 1: nothing hidden, so a wrong count that suppression would hide is
    still caught)."""

    def small(count: int) -> int | None:
        return None if 0 < count < below else count

    by_case: dict[str, list[Event]] = {}
    for event in events:
        if event.subject_type == ev.COMPLAINT:
            by_case.setdefault(event.subject_id, []).append(event)
    if scope == JOINT:
        ours = {
            ref: es
            for ref, es in by_case.items()
            if any(e.kind == ev.REFERRED_JOINT and e.occurred_at < quarter.end for e in es)
        }
    else:
        ours = {ref: es for ref, es in by_case.items() if es[0].payload["party"] == scope}
    inside = [e for es in ours.values() for e in es if quarter.start <= e.occurred_at < quarter.end]
    filed = [e for e in inside if e.kind == ev.FILED]
    times: dict[str, list[tuple[float, bool]]] = {}
    reached: Counter[str] = Counter()
    on_time = late = 0
    horizon = min(quarter.end, now)
    for es in ours.values():
        state, entered = CaseState.RECEIVED, es[0].occurred_at
        limits = es[0].payload["limits"]
        starts = [entered]
        for event in es[1:]:
            if event.occurred_at >= quarter.end:
                break
            new = ev.next_state(state, event.kind, event.payload)
            if new != state:
                if event.occurred_at >= quarter.start:
                    days = (event.occurred_at - entered).total_seconds() / 86400
                    times.setdefault(state, []).append((days, not limits[state] or days <= limits[state]))
                state, entered = new, event.occurred_at
                starts.append(entered)
        if quarter.start <= es[0].occurred_at < quarter.end:
            reached[state] += 1
        window = timedelta(days=es[0].payload["communication_days"])
        for begun in starts:
            if not quarter.start <= begun < quarter.end:
                continue
            for to in es[0].payload["reachable"]:
                told = [
                    e.occurred_at
                    for e in es
                    if e.kind == ev.COMMUNICATED and e.payload["to"] == to and e.occurred_at < quarter.end
                ]
                if any(begun <= at <= begun + window for at in told):
                    on_time += 1
                elif begun + window < horizon:
                    late += 1
    answered = [e for e in inside if e.kind == ev.SURVEY_ANSWERED]
    fair = [e.payload["scores"]["fair"] for e in answered]
    kinds = Counter(e.kind for e in inside)
    return {
        "received": small(len(filed)),
        "by_category": {k: small(v) for k, v in Counter(e.payload["category"] for e in filed).items()},
        "by_characteristic": {
            k: small(v)
            for k, v in Counter(
                characteristics[e.subject_id] for e in filed if characteristics[e.subject_id]
            ).items()
        },
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
        "appeals": {
            "lodged": small(kinds[ev.APPEALED]),
            "upheld": small(
                sum(
                    1
                    for e in inside
                    if e.kind == ev.APPEAL_DECIDED and e.payload["outcome"] == "appeal upheld"
                )
            ),
            "dismissed": small(
                sum(
                    1
                    for e in inside
                    if e.kind == ev.APPEAL_DECIDED and e.payload["outcome"] != "appeal upheld"
                )
            ),
        },
        "communications": {"due": small(on_time + late), "on_time": small(on_time), "late": small(late)},
        "on_time_share": None if on_time + late < below else round(on_time / (on_time + late), 3),
        "survey": {"sent": small(kinds[ev.SURVEY_SENT]), "answered": small(len(answered))},
        "fair_mean": round(sum(fair) / len(fair), 2) if len(fair) >= below else None,
        "referred_joint": small(kinds[ev.REFERRED_JOINT]),
        "break_glass": None
        if scope == JOINT
        else small(
            sum(
                1
                for e in events
                if e.subject_type == ev.ACCESS
                and e.payload["party"] == scope
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
            if len(spent) >= below
        },
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=40, max_size=160))
def test_the_figures_equal_a_brute_force_recount(steps: list[tuple[str, int, int, int]]) -> None:
    world = new_world()
    world.complaints.enrol("panel-other", OTHER, by=ADMIN)
    world.complaints.enrol_joint("panel1", by=ADMIN)
    world.complaints.enrol_joint("panel-other", by=ADMIN)
    filed: dict[str, str | None] = {}
    for name, index, choice, hours in steps:
        world.clock.advance(hours=hours)
        with contextlib.suppress(HustingsError):  # a step the case's stage refuses writes nothing
            play(world, index, name, choice, filed)
    events = list(world.events.events)
    now = world.clock.now()
    for scope, quarter, threshold in itertools.product(
        (PARTY, JOINT), (Quarter(2026, 4), Quarter(2027, 1), Quarter(2027, 2)), (SUPPRESS_BELOW, 1)
    ):
        figures = quarterly_figures(
            events, scope, quarter, characteristics=filed, now=now, suppress_below=threshold
        )
        expected = recount(events, quarter, scope=scope, characteristics=filed, now=now, below=threshold)
        assert figures.received == expected["received"]
        for name in ("by_category", "by_characteristic", "by_source", "stage_reached", "sanctions"):
            assert getattr(figures, name) == dict(sorted(expected[name].items()))  # type: ignore[attr-defined]
        assert figures.appeals == expected["appeals"]
        assert figures.communications == expected["communications"]
        assert figures.communications_on_time == expected["on_time_share"]
        assert figures.survey == expected["survey"]
        assert figures.survey_means.get("fair") == expected["fair_mean"]
        assert figures.referred_joint == expected["referred_joint"]
        if scope == PARTY:
            assert figures.break_glass == expected["break_glass"]
        shown = {
            state: (t.median_days, t.p90_days, t.share_within_limit)
            for state, t in figures.stage_times.items()
            if t.median_days is not None
        }
        assert shown == expected["times"]
    # the service's own figures open each characteristic with the case's key (or its erasure's)
    officer = world.as_("officer", Role.COMPLAINTS_OFFICER)
    assert world.complaints.quarterly(officer, Quarter(2026, 4)) == quarterly_figures(
        events, PARTY, Quarter(2026, 4), characteristics=filed, now=now
    )
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
