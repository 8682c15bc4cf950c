"""The console's domain rules over the in-memory store: undo written as events, assigning to a
colleague, the team view, near-duplicates folded into one queue row, searching a queue, text
groups of a cluster, batch and cluster decisions, and reason templates per rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.errors import Conflict, InvalidInput
from hustings.events import EventLog, InMemoryEventStore, Status, fold
from hustings.events.registry import default_reducers
from hustings.moderation.context import group_by_text
from hustings.moderation.events import ITEM_ESCALATION_WITHDRAWN, ITEM_SKIP_UNDONE, Action, ReporterKind
from hustings.moderation.memory import InMemoryModerationStore
from hustings.moderation.policy import load_policy
from hustings.moderation.queues import QueueEntry, QueueSearch, fold_near_duplicates, queue
from hustings.moderation.service import Moderation
from hustings.moderation.status import ItemState
from tests.conftest import sample_message
from tests.moderation.conftest import person
from tests.moderation.test_service import PRIYA, SAM, VOTER, take_in

JO = person("jo", Role.MODERATOR)
ALEX = person("alex", Role.TRIAGE)
PILE = "Go back to where you came from, nobody in Fenmarsh wants you here"


@pytest.fixture
def store() -> InMemoryModerationStore:
    found = InMemoryModerationStore(InMemoryEventStore())
    found.targets[PRIYA.id] = PRIYA
    return found


@pytest.fixture
def moderation(store: InMemoryModerationStore, fixed_clock: FixedClock) -> Moderation:
    return Moderation(store, EventLog(store.events, default_reducers()), fixed_clock, load_policy())


def reported(moderation: Moderation, store: InMemoryModerationStore, *texts: str) -> list[str]:
    result = take_in(
        moderation,
        store,
        *(
            sample_message(f"w{n}", text=text, author={"id": f"a{n}", "handle": f"@author{n}"})
            for n, text in enumerate(texts)
        ),
    )
    for message_id in result.ids:
        moderation.file_report(
            message_id=message_id, reporter=VOTER, category="abuse", reporter_kind=ReporterKind.USER
        )
    return result.ids


def rebuilt(store: InMemoryModerationStore) -> dict[tuple[str, str], Status]:
    """Every status folded again from the log alone."""
    return fold(default_reducers(), store.events.iter_events())


def test_release_skip_and_escalate_are_undone_by_events_that_reverse_them(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    (item,) = reported(moderation, store, "You are a disgrace and should resign now.")
    moderation.claim(moderator=SAM, message_id=item)
    moderation.release(moderator=SAM, message_id=item)
    assert moderation.undoable(moderator=JO, message_id=item) is None  # not Jo's step
    assert moderation.undo(moderator=SAM, message_id=item) == "release"
    assert moderation.item(item).assignee == SAM.id

    moderation.skip(moderator=SAM, message_id=item)
    assert SAM.id in moderation.item(item).data["skipped_by"]
    assert moderation.undo(moderator=SAM, message_id=item) == "skip"
    after = moderation.item(item)
    assert (
        SAM.id not in after.data["skipped_by"] and after.assignee == SAM.id
    )  # the claim it released is back

    moderation.escalate(moderator=SAM, message_id=item, reason="needs a senior eye")
    assert moderation.item(item).state == ItemState.ESCALATED
    assert moderation.undo(moderator=SAM, message_id=item) == "escalate"
    back = moderation.item(item)
    assert back.state == ItemState.CLAIMED and back.assignee == SAM.id and "escalated_by" not in back.data
    kinds = [e.kind for e in store.events_for(item)]
    assert ITEM_SKIP_UNDONE in kinds and ITEM_ESCALATION_WITHDRAWN in kinds  # nothing was deleted
    assert rebuilt(store) == store.events.statuses  # the state is the log's


def test_nothing_is_undone_once_the_item_moved_on(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    (item,) = reported(moderation, store, "You are a disgrace and should resign now.")
    moderation.claim(moderator=SAM, message_id=item)
    moderation.release(moderator=SAM, message_id=item)
    moderation.claim(moderator=JO, message_id=item)
    assert moderation.undoable(moderator=SAM, message_id=item) is None
    with pytest.raises(Conflict, match="nothing to undo"):
        moderation.undo(moderator=SAM, message_id=item)


def test_an_item_is_assigned_to_a_named_moderator_and_shows_in_the_team_view(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    first, second = reported(
        moderation, store, "You are a disgrace and should resign now.", "Nobody wants you, quit."
    )
    with pytest.raises(InvalidInput, match="alex is not a moderator"):
        moderation.assign(moderator=SAM, colleague=ALEX, message_id=first)
    held = moderation.assign(moderator=SAM, colleague=JO, message_id=first)
    assert held.state == ItemState.CLAIMED and held.assignee == JO.id
    with pytest.raises(Conflict, match="not claimed by you"):  # Jo holds it now: Sam cannot pass it on
        moderation.assign(moderator=SAM, colleague=SAM, message_id=first)
    moderation.claim(moderator=SAM, message_id=second)
    moderation.assign(moderator=SAM, colleague=JO, message_id=second)  # a held item is handed over
    team = moderation.team()
    assert sorted(e.status.subject_id for e in team[JO.id]) == sorted([first, second]) and SAM.id not in team
    moderation.release(moderator=JO, message_id=second)
    assert moderation.item(second).state == ItemState.REPORTED  # released to the queue it came from


def test_an_escalated_item_is_not_assigned_back_to_who_escalated_it(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    (item,) = reported(moderation, store, "You are a disgrace and should resign now.")
    moderation.escalate(moderator=SAM, message_id=item, reason="senior please")
    with pytest.raises(InvalidInput, match="sam escalated this item"):
        moderation.assign(moderator=JO, colleague=SAM, message_id=item)


def test_near_duplicates_fold_into_the_row_of_the_first() -> None:
    def entry(message_id: str, cluster: str | None) -> QueueEntry:
        status = Status("message", message_id, "reported", cluster_id=cluster)
        return QueueEntry(status, 1.0)

    rows = fold_near_duplicates(
        [entry("a", "c1"), entry("b", None), entry("c", "c1"), entry("d", "c2"), entry("e", "c1")]
    )
    assert [row.message_ids for row in rows] == [["a", "c", "e"], ["b"], ["d"]]
    assert [row.count for row in rows] == [3, 1, 1]


def test_a_queue_page_folds_a_pile_on_and_pages_on(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    ids = reported(
        moderation, store, *(PILE + "!" * n for n in range(6)), "A different complaint entirely about bins."
    )
    rows, more = moderation.queue_rows(queue("unreviewed"), reader_id=SAM.id, limit=1)
    assert len(rows) == 1 and more is not None
    first = rows[0]
    rest, end = moderation.queue_rows(queue("unreviewed"), reader_id=SAM.id, limit=5, offset=more)
    assert end is None
    shown = [*first.message_ids, *(m for row in rest for m in row.message_ids)]
    assert sorted(shown) == sorted(ids)  # every item once, over the pages
    assert sorted(row.count for row in [first, *rest]) == [1, 6]


def test_a_queue_is_searched_by_target_author_label_text_and_date(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    bins, pile = reported(moderation, store, "The bins in Ashby were not collected again.", PILE)
    spec = queue("unreviewed")

    def found(**parts: Any) -> list[str]:
        narrowed = replace(spec, search=QueueSearch(**parts))
        return [e.status.subject_id for e in moderation.queue_page(narrowed, reader_id=None)]

    assert found(text="ASHBY") == [bins]
    assert found(author="@author1") == [pile]
    assert sorted(found(target_id=PRIYA.id)) == sorted([bins, pile])
    assert found(target_id="t_nobody") == []
    assert sorted(found(label="abuse")) == sorted([bins, pile]) and found(label="threat") == []
    sent = store.messages[bins].created_at.date()
    assert len(found(since=sent, until=sent)) == 2
    assert found(since=sent + timedelta(days=1)) == [] and found(until=date(2000, 1, 1)) == []


def test_cluster_members_are_grouped_by_text() -> None:
    members = [Status("message", f"m{n}", "reported" if n else "decided") for n in range(4)]
    texts = {"m0": "Resign now!", "m1": "resign now", "m2": "RESIGN... now!!", "m3": "Something else"}
    groups = group_by_text(members, texts)
    assert [(g.text, g.count) for g in groups] == [("Resign now!", 3), ("Something else", 1)]
    assert groups[0].states == {"decided": 1, "reported": 2}


def test_a_cluster_decision_needs_a_claim_and_names_what_it_decides(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    ids = reported(moderation, store, *(PILE + "!" * n for n in range(4)))
    with pytest.raises(Conflict, match="claim this item"):
        moderation.cluster_preview(moderator=SAM, message_id=ids[0])
    moderation.claim(moderator=SAM, message_id=ids[0])
    moderation.claim(moderator=JO, message_id=ids[3])  # Jo's: left out
    chosen, groups = moderation.cluster_preview(moderator=SAM, message_id=ids[0])
    assert sorted(s.subject_id for s in chosen) == sorted(ids[:3])
    assert [g.count for g in groups] == [3]


def test_a_batch_decision_decides_what_it_can_and_says_why_not_the_rest(
    moderation: Moderation, store: InMemoryModerationStore
) -> None:
    first, second, third = reported(
        moderation, store, "Resign, you fraud.", "Quit now, loser.", "You are useless."
    )
    moderation.claim(moderator=JO, message_id=third)
    outcome = moderation.decide_batch(
        moderator=SAM, message_ids=[first, second, third], action=Action.LABEL, policy_rule="A1"
    )
    assert sorted(outcome.decided) == sorted([first, second])
    assert outcome.skipped == {third: "claimed by another moderator"}
    decided = {moderation.item(m).data["decision"]["decision_id"] for m in (first, second)}
    assert decided == {outcome.decision_id}  # one decision, one event per item
    with pytest.raises(InvalidInput, match="none of the selected items"):
        moderation.decide_batch(moderator=SAM, message_ids=[first], action=Action.LABEL, policy_rule="A1")
    with pytest.raises(InvalidInput, match="select at least one"):
        moderation.batch_preview(moderator=SAM, message_ids=[])


def test_every_template_names_the_target_where_it_says_so() -> None:
    policy = load_policy()
    threat = policy.rule("T1")
    assert threat.reason_templates, "the threat rule offers statements to start from"
    text = threat.reason_templates[0].filled("Priya Raman")
    assert "Priya Raman" in text and "{target}" not in text
    assert "the person targeted" in threat.reason_templates[0].filled("")
