"""Domain rules without a database: claims, escalation, queues and clocks, clusters, highlights, policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.errors import Conflict, DuplicateEvent, InvalidInput, NotFound
from hustings.events import EventLog
from hustings.messages.similarity import normalise, signature, similarity
from hustings.moderation import work
from hustings.moderation.context import highlight
from hustings.moderation.events import ITEM_CLAIMED, Action, ReporterKind
from hustings.moderation.policy import load_policy
from hustings.moderation.queues import breach_events, describe_time_left, effective_priority, queue, urgency
from hustings.moderation.reports import file_report
from tests.conftest import T0
from tests.moderation.conftest import ingested_event, person

M = "m_" + "e" * 32
SAM, JO = person("sam", Role.MODERATOR), person("jo", Role.MODERATOR)


@pytest.fixture
def reported(memory_log: EventLog, fixed_clock: FixedClock) -> EventLog:
    memory_log.append(ingested_event(M))
    file_report(
        memory_log,
        fixed_clock,
        message_id=M,
        reporter=person("u", Role.ANALYST),
        reporter_kind=ReporterKind.USER,
        category="threat",
    )
    return memory_log


def test_one_holder_at_a_time(reported: EventLog, fixed_clock: FixedClock) -> None:
    held = work.claim(reported, fixed_clock, moderator=SAM, message_id=M)
    assert held.state == "claimed" and held.assignee == SAM.id
    assert work.claim(reported, fixed_clock, moderator=SAM, message_id=M) == held  # no new event
    with pytest.raises(Conflict, match="claimed by another moderator"):
        work.claim(reported, fixed_clock, moderator=JO, message_id=M)
    with pytest.raises(Conflict, match="not claimed by you"):
        work.release(reported, fixed_clock, moderator=JO, message_id=M)
    assert work.release(reported, fixed_clock, moderator=SAM, message_id=M).state == "reported"
    with pytest.raises(NotFound, match="message_id"):
        work.claim(reported, fixed_clock, moderator=SAM, message_id="m_nope")


def test_two_claims_on_the_same_state_write_the_same_key(reported: EventLog, fixed_clock: FixedClock) -> None:
    item = work.load_item(reported, M)
    first = work._event(ITEM_CLAIMED, item, SAM, fixed_clock, "claimed")
    second = work._event(ITEM_CLAIMED, item, JO, fixed_clock, "claimed")
    reported.append(first)
    with pytest.raises(DuplicateEvent):
        reported.append(second)


def test_escalation_needs_a_reason_and_a_different_moderator(
    reported: EventLog, fixed_clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        work.escalate(reported, fixed_clock, moderator=SAM, message_id=M, reason="  ")
    escalated = work.escalate(reported, fixed_clock, moderator=SAM, message_id=M, reason="credible threat")
    assert escalated.state == "escalated" and escalated.data["escalated_by"] == SAM.id
    with pytest.raises(Conflict, match="different moderator"):
        work.claim(reported, fixed_clock, moderator=SAM, message_id=M)
    assert work.claim(reported, fixed_clock, moderator=JO, message_id=M).state == "claimed"
    assert work.skip(reported, fixed_clock, moderator=JO, message_id=M).state == "escalated"


def test_urgency_grows_as_the_clock_runs_down() -> None:
    assert urgency(None, T0) == 0.0
    assert urgency(T0 + timedelta(days=3), T0) == 0.0
    assert urgency(T0 + timedelta(hours=20), T0) == 0.4
    assert urgency(T0 + timedelta(hours=5), T0) == 0.8
    assert urgency(T0 - timedelta(minutes=1), T0) == 1.0
    assert describe_time_left(timedelta(hours=26, minutes=5)) == "1 d 2 h 5 min left"
    assert describe_time_left(timedelta(minutes=-90)) == "overdue by 1 h 30 min"
    with pytest.raises(NotFound, match="no queue 'x'"):
        queue("x")


def test_exposure_raises_priority(reported: EventLog) -> None:
    item = work.load_item(reported, M)
    calm = effective_priority(item, T0, set(), set())
    assert effective_priority(item, T0, {"t_1"}, set()) == pytest.approx(calm + 0.4)
    assert effective_priority(item, T0, {"t_1"}, {"t_1"}) == pytest.approx(calm + 0.6)


def test_a_breach_raises_one_alert(reported: EventLog, fixed_clock: FixedClock) -> None:
    item = work.load_item(reported, M)
    assert breach_events([item], T0 + timedelta(hours=23)) == []
    (alert,) = breach_events([item], T0 + timedelta(hours=25))
    reported.append(alert)
    after = work.load_item(reported, M)
    assert after.data["breached"] is True
    assert breach_events([after], T0 + timedelta(hours=30)) == []


def test_near_duplicates_are_similar_and_different_texts_are_not() -> None:
    base = normalise("Go back to where you came from, nobody wants you here @priya https://t.co/x")
    assert base == "go back to where you came from nobody wants you here"
    assert normalise("Retourne à ton PAYS, Chloé!") == "retourne a ton pays chloe"
    variant = normalise("GO BACK to where u came from!!! nobody wants you here")
    other = normalise("Thank you for holding a surgery in Ashby on Saturday morning")
    assert similarity(signature(base).tobytes(), signature(base).tobytes()) == 1.0
    assert similarity(signature(base).tobytes(), signature(variant).tobytes()) >= 0.7
    assert similarity(signature(base).tobytes(), signature(other).tobytes()) < 0.3


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=4))
def test_highlighting_never_changes_the_text(text: str, spans: list[tuple[int, int]]) -> None:
    evidence = [{"start": a, "end": b, "label": "threat", "reason": "r"} for a, b in spans]
    segments = highlight(text, evidence)
    assert "".join(segment.text for segment in segments) == text
    for segment in segments:
        if segment.label:
            assert segment.text in text and segment.text


def test_the_policy_gives_defaults_by_severity_and_names_unknown_rules() -> None:
    policy = load_policy()
    threat = policy.rule_for_category("threat")
    assert (
        threat.id == "T1" and policy.manifestly_illegal("threat") and not policy.manifestly_illegal("abuse")
    )
    assert policy.default_action(policy.rule("A1"), 0.2) == Action.NO_ACTION
    assert policy.default_action(policy.rule("A1"), 0.9) == Action.HIDE
    assert policy.clock(True) == timedelta(hours=24) and policy.clock(False) == timedelta(days=7)
    with pytest.raises(InvalidInput, match="policy_rule: no rule 'Z9'"):
        policy.rule("Z9")
