"""Any sequence of moderation steps: status rebuilt from the log equals incremental status, and
the item's invariants hold (one holder at a time, repeats counted once, one appeal at most)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.errors import HustingsError
from hustings.events import EventLog, InMemoryEventStore, fold
from hustings.events.registry import default_reducers
from hustings.moderation import work
from hustings.moderation.appeals import decide_appeal, file_appeal
from hustings.moderation.decisions import DecisionRequest, decide
from hustings.moderation.events import Action, ReporterKind
from hustings.moderation.queues import breach_events
from hustings.moderation.reports import file_report
from tests.conftest import T0
from tests.moderation.conftest import ingested_event, person

M = "m_" + "d" * 32
REPORTERS = [person(f"r{n}", Role.ANALYST) for n in range(3)]
MODERATORS = [person(f"mod{n}", Role.MODERATOR) for n in range(2)]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.integers(0, 2), st.sampled_from(["threat", "abuse", "other"])),
        st.tuples(st.sampled_from(["claim", "release", "skip", "escalate"]), st.integers(0, 1), st.just("")),
        st.tuples(st.just("decide"), st.integers(0, 1), st.sampled_from(["no_action", "hide", "remove"])),
        st.tuples(st.just("appeal"), st.integers(0, 1), st.just("")),
        st.tuples(st.just("appeal_decision"), st.integers(0, 1), st.sampled_from(["upheld", "reversed"])),
        st.tuples(st.just("wait"), st.integers(1, 48), st.just("")),
    ),
    max_size=25,
)


def run(log: EventLog, clock: FixedClock, step: tuple[str, int, str]) -> None:
    kind, who, arg = step
    moderator = MODERATORS[who % 2]
    actions: dict[str, Any] = {
        "report": lambda: file_report(
            log, clock, message_id=M, reporter=REPORTERS[who], reporter_kind=ReporterKind.USER, category=arg
        ),
        "claim": lambda: work.claim(log, clock, moderator=moderator, message_id=M),
        "release": lambda: work.release(log, clock, moderator=moderator, message_id=M),
        "skip": lambda: work.skip(log, clock, moderator=moderator, message_id=M),
        "escalate": lambda: work.escalate(log, clock, moderator=moderator, message_id=M, reason="senior"),
        "decide": lambda: decide(
            log,
            clock,
            moderator=moderator,
            request=DecisionRequest(message_id=M, action=Action(arg), policy_rule="A1"),
        ),
        "appeal": lambda: file_appeal(log, clock, message_id=M, recorded_by=moderator, reason="unfair"),
        "appeal_decision": lambda: decide_appeal(
            log,
            clock,
            moderator=moderator,
            message_id=M,
            outcome="upheld" if arg == "upheld" else "reversed",
            reasons="r",
        ),
    }
    if kind == "wait":
        clock.advance(hours=who)
        log.append_many(breach_events(log.store.load_statuses([("message", M)]).values(), clock.now()))
        return
    with contextlib.suppress(HustingsError):  # refusals change nothing; that is part of what is checked
        actions[kind]()


@settings(max_examples=150, deadline=None)
@given(steps)
def test_rebuilt_status_equals_incremental_and_invariants_hold(sequence: list[tuple[str, int, str]]) -> None:
    store = InMemoryEventStore()
    log = EventLog(store, default_reducers())
    clock = FixedClock(T0)
    log.append(ingested_event(M))
    for step in sequence:
        run(log, clock, step)
    assert fold(default_reducers(), store.events) == store.statuses
    status = store.statuses[("message", M)]
    kinds = [event.kind for event in store.events]
    assert (status.assignee is not None) == (status.state == "claimed")
    assert status.data.get("report_count", 0) == kinds.count("report.filed")
    assert status.data.get("distinct_reporters", 0) == len(
        {e.payload["reporter_id"] for e in store.events if e.kind == "report.filed"}
    )
    assert kinds.count("appeal.filed") <= 1 and kinds.count("appeal.decided") <= 1
    assert kinds.count("clock.breached") <= 1
    decisions = [e for e in store.events if e.kind == "decision.made"]
    assert len(decisions) <= 1
    for appeal in (e for e in store.events if e.kind == "appeal.decided"):
        assert appeal.payload["moderator_id"] != decisions[0].payload["moderator_id"]
