"""`Moderation` over the in-memory store: the use cases end to end, with no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.detect.assessment import Assessment, Label
from hustings.errors import Conflict, NotFound
from hustings.events import EventLog, InMemoryEventStore, fold
from hustings.events.registry import default_reducers
from hustings.messages.ingest import IngestResult, ingest
from hustings.moderation.decisions import DecisionRequest
from hustings.moderation.events import Action, ReporterKind
from hustings.moderation.memory import InMemoryModerationStore
from hustings.moderation.policy import load_policy
from hustings.moderation.queues import queue
from hustings.moderation.service import Moderation
from hustings.moderation.status import ItemState
from hustings.targets.model import Target, TargetRole
from tests.conftest import T0, sample_message
from tests.moderation.conftest import MODEL, assessment, person

PRIYA = Target(
    id="t_priya",
    name="Priya",
    role=TargetRole.CANDIDATE,
    party=None,
    constituency=None,
    handles=(("x", "priya"),),
)
SAM = person("sam", Role.MODERATOR)
JO = person("jo", Role.MODERATOR)
PRIYA_USER = person("priya", Role.TARGET, target_ids=(PRIYA.id,))
VOTER = person("voter", Role.ANALYST)
THREAT = "We know where you live and we will hurt you, count on it."


class KeywordDetector:
    """Flags `threat` on any text containing 'hurt'."""

    model = MODEL

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        return [assessment(Label.THREAT) if "hurt" in text else assessment() for text in texts]


@pytest.fixture
def store() -> InMemoryModerationStore:
    found = InMemoryModerationStore(InMemoryEventStore())
    found.targets[PRIYA.id] = PRIYA
    return found


@pytest.fixture
def moderation(store: InMemoryModerationStore, fixed_clock: FixedClock) -> Moderation:
    return Moderation(store, EventLog(store.events, default_reducers()), fixed_clock, load_policy())


def take_in(
    moderation: Moderation, store: InMemoryModerationStore, *messages: dict[str, Any], assess: bool = False
) -> IngestResult:
    """Ingest as `Services.ingest` does, with moderation's ingest hook."""
    return ingest(
        list(messages),
        repository=store,
        log=moderation.log,
        clock=moderation.clock,
        actor="system",
        detector=KeywordDetector() if assess else None,
        hooks=[moderation.intake],
    )


def test_report_claim_decide_and_appeal(moderation: Moderation, store: InMemoryModerationStore) -> None:
    (message_id,) = take_in(moderation, store, sample_message("1", text=THREAT)).ids
    filed = moderation.file_report(
        message_id=message_id, reporter=PRIYA_USER, category="threat", claims_illegal=True
    )
    assert filed.reporter_kind == ReporterKind.TARGET  # from her role and the message's targets
    unreviewed = moderation.queue_page(queue("unreviewed"), reader_id=SAM.id)
    assert [entry.status.subject_id for entry in unreviewed] == [message_id]
    assert moderation.queue_counts(reader_id=SAM.id)["unreviewed"] == 1

    assert moderation.claim(moderator=SAM, message_id=message_id).state == ItemState.CLAIMED
    with pytest.raises(Conflict, match="claimed by another moderator"):
        moderation.claim(moderator=JO, message_id=message_id)
    assert moderation.queue_counts(reader_id=SAM.id)["mine"] == 1
    decided = moderation.decide(
        moderator=SAM, request=DecisionRequest(message_id=message_id, action=Action.REMOVE, policy_rule="T1")
    )
    assert decided.statement is not None and decided.statement["source_type"] == "SOURCE_ARTICLE_16"
    (mine,) = moderation.reports_of(PRIYA_USER)
    assert mine["report_id"] == filed.report_id and mine["stage"] == "decided"
    with pytest.raises(NotFound):
        moderation.report_of(VOTER, filed.report_id)  # someone else's report

    moderation.file_appeal(message_id=message_id, recorded_by=JO, reason="It was a quote from a film.")
    with pytest.raises(Conflict, match="different moderator"):
        moderation.decide_appeal(moderator=SAM, message_id=message_id, outcome="upheld", reasons="stands")
    after = moderation.decide_appeal(
        moderator=JO,
        message_id=message_id,
        outcome="reversed",
        reasons="A film quote.",
        new_action=Action.LABEL,
    )
    assert after.state == ItemState.APPEAL_DECIDED and after.data["action_in_force"] == Action.LABEL
    assert moderation.report_of(PRIYA_USER, filed.report_id)["stage"] == "appeal_decided"

    context = moderation.item_context(message_id)
    (report,) = context.reports
    assert (report.report_id, report.reporter_kind, report.claims_illegal) == (
        filed.report_id,
        "target",
        True,
    )
    assert context.target_names == {PRIYA.id: "Priya (candidate)"}
    assert [event.kind for event in context.timeline][-2:] == ["appeal.filed", "appeal.decided"]
    assert fold(moderation.log.reducers, store.events.iter_events()) == store.events.statuses


def test_intake_clusters_near_duplicates_and_reports_what_the_detector_flags(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    texts = [
        "Go back to where you came from, nobody in Fenmarsh wants you here!!",
        "go back to where you came from... nobody in fenmarsh wants you here",
        "Go back to where you came from, nobody in Fenmarsh wants u here @priya",
        "The bin collection schedule in Ashby changed again this week, why?",
        THREAT,
    ]
    result = take_in(
        moderation,
        store,
        *(
            sample_message(str(n), text=text, author={"id": f"a{n}", "handle": f"@a{n}"})
            for n, text in enumerate(texts)
        ),
        assess=True,
    )
    statuses = store.statuses(result.ids)
    clusters = [statuses[message_id].cluster_id for message_id in result.ids]
    assert clusters[0] is not None and clusters[:3] == [clusters[0]] * 3
    assert clusters[3] is None and clusters[4] is None
    threat = statuses[result.ids[4]]
    assert threat.state == ItemState.REPORTED and threat.data["reporter_kinds"] == [ReporterKind.AUTOMATED]
    assert [statuses[message_id].state for message_id in result.ids[:4]] == [ItemState.ASSESSED] * 4

    again = take_in(
        moderation, store, sample_message("5", text=texts[1], author={"id": "a5", "handle": "@a5"})
    )
    assert store.statuses(again.ids)[again.ids[0]].cluster_id == clusters[0]  # joins the stored cluster

    whole = DecisionRequest(
        message_id=result.ids[0], action=Action.HIDE, policy_rule="H1", apply_to_cluster=True
    )
    events_before = len(list(store.events.iter_events()))
    with pytest.raises(Conflict, match="claim this item"):  # a cluster decision needs the claim
        moderation.decide(moderator=SAM, request=whole)
    moderation.claim(moderator=SAM, message_id=result.ids[0])
    claimed = len(list(store.events.iter_events()))
    assert claimed == events_before + 1
    with pytest.raises(Conflict, match="expected to decide 3 messages, but 4 can be decided now"):
        moderation.decide(moderator=SAM, request=replace(whole, expected_count=3))  # a stale view
    assert len(list(store.events.iter_events())) == claimed  # nothing decided
    outcome = moderation.decide(moderator=SAM, request=replace(whole, expected_count=4))
    assert sorted(outcome.decided) == sorted([*result.ids[:3], again.ids[0]])
    assert outcome.decided[0] == result.ids[0]


def test_the_sweep_raises_each_breached_clock_once(
    moderation: Moderation, store: InMemoryModerationStore, fixed_clock: FixedClock
) -> None:
    first, second = take_in(moderation, store, sample_message("1", text=THREAT), sample_message("2")).ids
    moderation.file_report(message_id=first, reporter=VOTER, category="threat")  # manifestly illegal: 24 h
    moderation.file_report(message_id=second, reporter=VOTER, category="abuse")  # 7 days
    assert moderation.sweep_clocks() == 0
    fixed_clock.advance(hours=25)
    breaching = moderation.queue_page(queue("breaching"), reader_id=SAM.id)
    assert [entry.status.subject_id for entry in breaching] == [first]
    assert moderation.sweep_clocks() == 1
    assert moderation.sweep_clocks() == 0
    assert moderation.item(first).data["breached"] is True
    assert not moderation.item(second).data.get("breached")
    fixed_clock.advance(days=7)
    assert moderation.sweep_clocks() == 1


def test_an_items_context_has_its_thread_and_its_authors_history(
    moderation: Moderation, store: InMemoryModerationStore, fixed_clock: FixedClock
) -> None:
    def sent(n: int, author: str, **more: Any) -> dict[str, Any]:
        created = (T0 - timedelta(hours=10 - n)).isoformat()
        return sample_message(
            str(n), author={"id": author, "handle": f"@{author}"}, created_at=created, **more
        )

    ids = take_in(
        moderation,
        store,
        sent(1, "priya", text="Surgery in Ashby on Saturday.", targets=[]),
        sent(2, "troll", text="Nobody will come.", in_reply_to="1"),
        sent(3, "troll", text=THREAT, in_reply_to="2"),
        sent(4, "friend", text="See you there!", in_reply_to="3"),
        sent(5, "troll", text="Still here, Priya."),
        sent(6, "troll", text="About someone else.", targets=["@someone"]),
    ).ids
    moderation.file_report(message_id=ids[2], reporter=PRIYA_USER, category="threat")
    context = moderation.item_context(ids[2])
    assert [related.message.id for related in context.thread] == [ids[0], ids[1], ids[3]]
    assert [related.message.id for related in context.author_history] == [ids[4], ids[1]]  # newest first
    assert context.author_history[1].status is not None
    with pytest.raises(NotFound, match="message_id"):
        moderation.item_context("m_" + "0" * 32)
