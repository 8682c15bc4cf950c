"""Every figure of the report equals a brute-force recount from the log, on random logs."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from hustings.events import Event
from hustings.moderation.events import TAKEDOWN_ACTIONS, Action, ReporterKind
from hustings.storage.events import SqlEventStore
from hustings.storage.targets import TargetStore
from hustings.storage.transparency import SqlTransparencyStore
from hustings.targets.model import TargetRole
from hustings.transparency.period import parse_period
from hustings.transparency.report import TransparencyReport, compute_report
from hustings.transparency.service import Transparency
from tests.conftest import rolled_back

PERIOD = parse_period("2026-Q2")
START = datetime(2026, 3, 20, tzinfo=UTC)  # some events fall before the period, some after
ROLES = {"t_a": "candidate", "t_b": "mp", "t_c": "councillor"}
PLACES = {"t_a": ("GB", "scotland"), "t_b": ("GB", None), "t_c": ("IE", None)}
PLACE_LABELS = {"t_a": "scotland", "t_b": "united_kingdom", "t_c": "ie"}
MESSAGE_PLACES: list[dict[str, str]] = [{}, {"country": "GB", "nation": "wales"}, {"country": "FR"}]
MESSAGE_PLACE_LABELS = ["not_recorded", "wales", "fr"]
CATEGORIES = ["threat", "abuse", "doxxing", "other"]

EDGES = [int((edge - START).total_seconds() // 3600) for edge in (PERIOD.start_at, PERIOD.end_at)]
# Times anywhere, and times bunched around the period's edges and the 24-hour and 7-day marks.
hours = st.one_of(
    st.integers(min_value=0, max_value=24 * 120),
    st.sampled_from(EDGES).flatmap(lambda edge: st.integers(min_value=edge - 30, max_value=edge + 6)),
)
# Offsets from a message's base time, bunched on the 24-hour and 7-day marks.
delta = st.one_of(st.sampled_from([0, 1, 23, 24, 25, 167, 168, 169]), st.integers(min_value=0, max_value=400))
message_events = st.lists(
    st.one_of(
        st.tuples(
            st.just("report.filed"), delta, st.sampled_from(list(ReporterKind)), st.sampled_from(CATEGORIES)
        ),
        st.tuples(
            st.just("decision.made"),
            delta,
            st.sampled_from(list(Action)),
            st.sampled_from([None, "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_NOT_AUTOMATED"]),
        ),
        st.tuples(st.just("appeal.filed"), delta, st.none(), st.none()),
        st.tuples(st.just("appeal.decided"), delta, st.sampled_from(["upheld", "reversed"]), st.none()),
    ),
    max_size=8,
)
messages = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["t_a", "t_b", "t_c", "t_unknown"]), max_size=2, unique=True),
        hours,
        message_events,
        st.integers(min_value=0, max_value=len(MESSAGE_PLACES) - 1),
    ),
    max_size=8,
)
referrals = st.lists(st.tuples(hours, st.lists(hours, max_size=2), st.one_of(st.none(), hours)), max_size=3)


def build_log(drawn: list[tuple[list[str], int, list[Any], int]], drawn_referrals: list[Any]) -> list[Event]:
    events: list[Event] = []

    def add(kind: str, subject_type: str, subject_id: str, at: datetime, payload: dict[str, Any]) -> None:
        events.append(
            Event(
                kind,
                subject_type,
                subject_id,
                "system",
                at,
                f"k{len(events)}",
                payload=payload,
                seq=len(events) + 1,
            )
        )

    for index, (targets, base, history, place) in enumerate(drawn):
        mid = f"m{index}"
        add(
            "message.ingested",
            "message",
            mid,
            START - timedelta(days=1),
            {"target_ids": targets, **MESSAGE_PLACES[place]},
        )
        for kind, offset, first, second in history:
            at = START + timedelta(hours=base + offset)
            if kind == "report.filed":
                add(kind, "message", mid, at, {"reporter_kind": str(first), "category": second})
            elif kind == "decision.made":
                statement = {"automated_decision": second} if second else {}
                add(kind, "message", mid, at, {"action": str(first), "statement": statement})
            elif kind == "appeal.decided":
                add(kind, "message", mid, at, {"outcome": first})
            else:
                add(kind, "message", mid, at, {})
    for index, (created, sends, first_report) in enumerate(drawn_referrals):
        rid = f"r{index}"
        reported = None if first_report is None else (START + timedelta(hours=first_report)).isoformat()
        add(
            "referral.created",
            "referral",
            rid,
            START + timedelta(hours=created),
            {"first_report_at": reported},
        )
        for offset in sends:
            add("referral.sent", "referral", rid, START + timedelta(hours=created + offset), {})
    return events


def inside(event: Event) -> bool:
    return PERIOD.start_at <= event.occurred_at < PERIOD.end_at


def median_by_definition(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90_by_definition(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def recount(events: list[Event]) -> dict[str, Any]:
    """The figures counted the slow, obvious way, straight from the events."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.seq or 0))
    reports = [e for e in ordered if e.kind == "report.filed"]
    in_period = [e for e in reports if inside(e)]
    source = {"target": "user_notice", "delegate": "user_notice", "user": "user_notice"}
    by_source = dict.fromkeys(("user_notice", "trusted_flagger", "automated"), 0)
    for e in in_period:
        kind = e.payload["reporter_kind"]
        by_source[source.get(kind, kind)] += 1
    subjects = sorted({e.subject_id for e in reports})
    targets = {e.subject_id: e.payload["target_ids"] for e in ordered if e.kind == "message.ingested"}
    cohort: dict[str, tuple[str, float | None]] = {}
    for mid in subjects:
        first = next(e for e in reports if e.subject_id == mid)
        if not inside(first):
            continue
        takedowns = [
            e
            for e in ordered
            if e.subject_id == mid
            and e.kind == "decision.made"
            and e.payload["action"] in {a.value for a in TAKEDOWN_ACTIONS}
            and e.occurred_at < PERIOD.end_at
        ]
        took = None
        if takedowns:
            took = max(0.0, (takedowns[0].occurred_at - first.occurred_at).total_seconds() / 3600)
        cohort[mid] = (first.payload["category"], took)
    taken = sorted(h for _, h in cohort.values() if h is not None)

    def labels_of(mid: str, labels: dict[str, str]) -> set[str]:
        return {labels.get(t, "unregistered") for t in targets[mid]} or {"unregistered"}

    message_place = {
        e.subject_id: MESSAGE_PLACE_LABELS[
            MESSAGE_PLACES.index({k: v for k, v in e.payload.items() if k in ("country", "nation")})
        ]
        for e in ordered
        if e.kind == "message.ingested"
    }

    def sliced(label_of: Any) -> dict[str, dict[str, Any]]:
        slices: dict[str, dict[str, Any]] = {}
        for label in {r for e in in_period for r in label_of(e.subject_id)} | {
            r for m in cohort for r in label_of(m)
        }:
            mine = [cohort[m][1] for m in cohort if label in label_of(m)]
            done = sorted(h for h in mine if h is not None)
            slices[label] = {
                "reports": sum(1 for e in in_period if label in label_of(e.subject_id)),
                "items": len(mine),
                "taken": len(done),
                "median": median_by_definition(done),
            }
        return slices

    categories: dict[str, dict[str, Any]] = {}
    for category in {e.payload["category"] for e in in_period} | {c for c, _ in cohort.values()}:
        mine = [h for c, h in cohort.values() if c == category]
        done = sorted(h for h in mine if h is not None)
        categories[category] = {
            "reports": sum(1 for e in in_period if e.payload["category"] == category),
            "items": len(mine),
            "taken": len(done),
            "median": median_by_definition(done),
        }
    roles = sliced(lambda mid: labels_of(mid, ROLES))
    nations = sliced(lambda mid: labels_of(mid, PLACE_LABELS))
    message_nations = sliced(lambda mid: {message_place[mid]})
    sent_first: dict[str, Event] = {}
    for e in ordered:
        if e.kind == "referral.sent":
            sent_first.setdefault(e.subject_id, e)
    created = {e.subject_id: e for e in ordered if e.kind == "referral.created"}
    sent_in = [e for e in sent_first.values() if inside(e)]
    to_referral = sorted(
        max(
            0.0,
            (
                e.occurred_at - datetime.fromisoformat(created[e.subject_id].payload["first_report_at"])
            ).total_seconds()
            / 3600,
        )
        for e in sent_in
        if created[e.subject_id].payload["first_report_at"]
    )
    return {
        "reports_received": len(in_period),
        "by_source": by_source,
        "items_reported": len(cohort),
        "taken_down": len(taken),
        "taken_down_share": len(taken) / len(cohort) if cohort else None,
        "median": median_by_definition(taken),
        "p90": p90_by_definition(taken),
        "within_24h": sum(1 for h in taken if h <= 24) / len(taken) if taken else None,
        "within_7d": sum(1 for h in taken if h <= 168) / len(taken) if taken else None,
        "later": sum(1 for h in taken if h > 168) / len(taken) if taken else None,
        "categories": categories,
        "roles": roles,
        "nations": nations,
        "message_nations": message_nations,
        "decisions": sum(1 for e in ordered if e.kind == "decision.made" and inside(e)),
        "appeals_filed": sum(1 for e in ordered if e.kind == "appeal.filed" and inside(e)),
        "appeals_reversed": sum(
            1
            for e in ordered
            if e.kind == "appeal.decided" and inside(e) and e.payload["outcome"] == "reversed"
        ),
        "appeals_upheld": sum(
            1
            for e in ordered
            if e.kind == "appeal.decided" and inside(e) and e.payload["outcome"] == "upheld"
        ),
        "referrals_created": sum(1 for e in created.values() if inside(e)),
        "referrals_sent": len(sent_in),
        "to_referral_median": median_by_definition(to_referral),
        "distribution_total": len(taken),
    }


def recount_dsa(events: list[Event]) -> dict[str, Any]:
    """The harmonised templates' figures, event by event, looking back and forward in the log."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.seq or 0))
    notice_kinds = {"user", "target", "delegate", "trusted_flagger"}

    def before(index: int, mid: str, kind: str) -> list[Event]:
        return [e for e in ordered[:index] if e.subject_id == mid and e.kind == kind]

    automated_notices = 0
    for index, e in enumerate(ordered):
        if e.kind == "report.filed" and inside(e) and e.payload["reporter_kind"] in notice_kinds:
            later = [
                d for d in ordered[index + 1 :] if d.subject_id == e.subject_id and d.kind == "decision.made"
            ]
            automated = bool(later) and (
                later[0].payload["statement"].get("automated_decision") == "AUTOMATED_DECISION_FULLY"
            )
            if automated and inside(later[0]):
                automated_notices += 1
    by_detection: dict[str, int] = {}
    by_restriction: dict[str, int] = {}
    flags = upheld = 0
    appeal_hours: list[float] = []
    for index, e in enumerate(ordered):
        if e.kind == "decision.made" and inside(e):
            kinds = {r.payload["reporter_kind"] for r in before(index, e.subject_id, "report.filed")}
            if "automated" in kinds:
                flags += 1
                upheld += e.payload["action"] != "no_action"
            if not kinds & notice_kinds and e.payload["action"] != "no_action":
                method = "automated" if "automated" in kinds else "manual"
                by_detection[method] = by_detection.get(method, 0) + 1
                kind = "account" if e.payload["action"] == "suspend_account" else "visibility"
                by_restriction[kind] = by_restriction.get(kind, 0) + 1
        if e.kind == "appeal.decided" and inside(e):
            filed = before(index, e.subject_id, "appeal.filed")
            if filed:
                appeal_hours.append((e.occurred_at - filed[-1].occurred_at).total_seconds() / 3600)
    return {
        "notices_received": sum(
            1
            for e in ordered
            if e.kind == "report.filed" and inside(e) and e.payload["reporter_kind"] in notice_kinds
        ),
        "notices_processed_by_automated_means": automated_notices,
        "own_initiative_decisions_by_detection": by_detection,
        "own_initiative_decisions_by_restriction": by_restriction,
        "appeals_decided": len(appeal_hours),
        "median_hours_to_decide_appeal": median_by_definition(appeal_hours),
        "automated_flags_decided": flags,
        "automated_flags_upheld": upheld,
        "automated_flags_upheld_share": upheld / flags if flags else None,
    }


def approx(value: float | None) -> Any:
    return None if value is None else pytest.approx(value, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(drawn=messages, drawn_referrals=referrals)
# Edge cases worth pinning: reported in the last hour, taken down just after the period ended;
# taken down exactly 24 hours and exactly 7 days after the first report.
@example(
    drawn=[
        (
            ["t_a"],
            EDGES[1] - 1,
            [("report.filed", 0, ReporterKind.USER, "threat"), ("decision.made", 1, Action.REMOVE, None)],
            1,
        )
    ],
    drawn_referrals=[],
)
@example(
    drawn=[
        (
            ["t_b"],
            EDGES[0],
            [("report.filed", 0, ReporterKind.AUTOMATED, "abuse"), ("decision.made", 24, Action.HIDE, None)],
            0,
        ),
        (
            ["t_c"],
            EDGES[0],
            [("report.filed", 0, ReporterKind.AUTOMATED, "abuse"), ("decision.made", 168, Action.HIDE, None)],
            2,
        ),
    ],
    drawn_referrals=[(EDGES[0] + 2, [3], EDGES[0])],
)
def test_every_figure_equals_a_brute_force_recount(drawn: list[Any], drawn_referrals: list[Any]) -> None:
    events = build_log(drawn, drawn_referrals)
    assert_recounted(compute_report(events, ROLES, PERIOD, PLACE_LABELS), events)


def assert_recounted(report: TransparencyReport, events: list[Event]) -> None:
    """Every figure of `report` equals the brute-force recount of `events`."""
    expected = recount(events)
    assert report.reports_received == expected["reports_received"]
    assert dict(report.by_source) == expected["by_source"]
    assert report.items_reported == expected["items_reported"]
    assert report.taken_down == expected["taken_down"]
    assert report.taken_down_share == approx(expected["taken_down_share"])
    assert report.median_hours == approx(expected["median"])
    assert report.p90_hours == approx(expected["p90"])
    assert report.within_24h_share == approx(expected["within_24h"])
    assert report.within_7d_share == approx(expected["within_7d"])
    assert report.later_share == approx(expected["later"])
    assert sum(count for _, count in report.distribution) == expected["distribution_total"]
    assert set(report.by_category) == set(expected["categories"])
    for name, figures in expected["categories"].items():
        got = report.by_category[name]
        assert (got.reports_received, got.items_reported, got.taken_down) == (
            figures["reports"],
            figures["items"],
            figures["taken"],
        )
        assert percentile_median(got.hours) == approx(figures["median"])
    for section, key in (
        (report.by_target_role, "roles"),
        (report.by_target_nation, "nations"),
        (report.by_message_nation, "message_nations"),
    ):
        assert set(section) == set(expected[key])
        for name, figures in expected[key].items():
            got = section[name]
            assert (got.reports_received, got.items_reported, got.taken_down) == (
                figures["reports"],
                figures["items"],
                figures["taken"],
            )
            assert percentile_median(got.hours) == approx(figures["median"])
    assert sum(report.decisions_by_action.values()) == expected["decisions"]
    assert report.appeals_filed == expected["appeals_filed"]
    assert report.appeals_reversed == expected["appeals_reversed"]
    assert report.appeals_upheld == expected["appeals_upheld"]
    assert report.referrals_created == expected["referrals_created"]
    assert report.referrals_sent == expected["referrals_sent"]
    assert percentile_median(report.hours_first_report_to_referral) == approx(expected["to_referral_median"])
    assert sum(sum(week.values()) for _, week in report.weekly) == expected["reports_received"]
    dsa = report.dsa
    by_hand = recount_dsa(events)
    assert dsa.notices_received == by_hand["notices_received"]
    assert dsa.notices_processed_by_automated_means == by_hand["notices_processed_by_automated_means"]
    assert dict(dsa.own_initiative_by_detection) == by_hand["own_initiative_decisions_by_detection"]
    assert dict(dsa.own_initiative_by_restriction) == by_hand["own_initiative_decisions_by_restriction"]
    assert len(dsa.appeal_hours) == by_hand["appeals_decided"]
    assert percentile_median(dsa.appeal_hours) == approx(by_hand["median_hours_to_decide_appeal"])
    assert (dsa.automated_flags_decided, dsa.automated_flags_upheld) == (
        by_hand["automated_flags_decided"],
        by_hand["automated_flags_upheld"],
    )
    assert dsa.automated_flags_upheld_share == approx(by_hand["automated_flags_upheld_share"])


def percentile_median(values: tuple[float, ...]) -> float | None:
    from hustings.transparency.report import percentile

    return percentile(values, 0.5)


OTHER_PERIODS = (parse_period("2026-05"), parse_period("2026-03-25..2026-04-02"), parse_period("2026-Q3"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drawn=messages,
    drawn_referrals=referrals,
    order=st.randoms(use_true_random=False),
    batches=st.integers(min_value=1, max_value=4),
)
@example(
    drawn=[
        (
            ["t_a", "t_unknown"],
            EDGES[0],
            [
                ("report.filed", 0, ReporterKind.USER, "threat"),
                ("decision.made", 1, Action.REMOVE, "AUTOMATED_DECISION_FULLY"),
                ("appeal.filed", 2, None, None),
                ("appeal.decided", 5, "upheld", None),
            ],
            1,
        )
    ],
    drawn_referrals=[(EDGES[0] + 2, [3, 4], EDGES[0])],
    order=Random(1),
    batches=3,
)
def test_the_aggregates_kept_as_events_are_written_equal_the_fold_and_the_recount(
    engine: Engine, drawn: list[Any], drawn_referrals: list[Any], order: Random, batches: int
) -> None:
    """On SQLite and PostgreSQL: the events appended in a random order, in a few batches (so a
    message's events arrive late and out of time order), the report from the aggregates equals
    the fold over the stored log and the brute-force recount; and again after a rebuild."""
    events = build_log(drawn, drawn_referrals)
    order.shuffle(events)
    with rolled_back(engine) as session:
        targets = TargetStore(session)
        for target_id, role in ROLES.items():
            country, nation = PLACES[target_id]
            targets.create(
                name=target_id,
                role=TargetRole(role),
                party=None,
                constituency=None,
                handles=[],
                now=START,
                target_id=target_id,
                country=country,
                nation=nation,
            )
        log = SqlEventStore(session)
        size = max(1, -(-len(events) // batches))
        for start in range(0, len(events), size):
            log.append(events[start : start + size], [], read={})
        transparency = Transparency(SqlTransparencyStore(session), aggregates=log.aggregates)
        stored = list(log.iter_events())
        report = transparency.from_aggregates(PERIOD)
        assert report == transparency.compute(PERIOD)
        assert report.to_json() == transparency.compute(PERIOD).to_json()
        assert_recounted(report, stored)
        for period in OTHER_PERIODS:
            assert transparency.from_aggregates(period) == transparency.compute(period)
        assert log.aggregates.rebuild() == len(stored)
        assert transparency.from_aggregates(PERIOD) == report
