"""What the person targeted does reaches what is already there, and what they see is theirs to
choose, over protection's in-memory store (no database):

- blocking, muting or hiding a word moves the earlier messages it covers to Hidden, with the
  reason, as events on each delivery (nothing is deleted; statuses still rebuild from the log),
  and says how many moved;
- "Report all" files each message with the label the detector gave it, unless a category is
  chosen, and carries the note;
- a masked message's summary says what it is, when and from whom, never its words;
- a person's viewing choices are remembered, the latest winning, and "one at a time" overrides
  showing a folder in full;
- a message's moderation state, and a decision's reasons, in the target's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from hustings.auth.model import Role, User
from hustings.detect.assessment import LABELS, Assessment, Label
from hustings.events import Event, Status, fold, user_actor
from hustings.events.registry import default_reducers
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.messages.ingest import IngestResult, ingest
from hustings.messages.model import message_id
from hustings.moderation.events import DECISION_MADE, REPORT_FILED
from hustings.moderation.reports import moderation_state, reasons_in_words
from hustings.moderation.status import ItemState
from hustings.protection import events as ev
from hustings.protection.controls import account_ref
from hustings.protection.events import DeliveryState
from hustings.protection.inbox import ago, without_image_links
from tests.conftest import T0
from tests.protection.conftest import message
from tests.protection.test_domain import ALICE, TARGET, World

PRIYA = User("u_priya", "priya", frozenset({Role.TARGET}), target_ids=(TARGET,))


class LabelDetector:
    """`threat` for "where you live", `abuse` for "scum": two labels, so a report's category shows
    whether it came from the message or from a default."""

    model = "labels@test"

    def assess(self, texts: Sequence[str]) -> list[Assessment]:
        out = []
        for text in texts:
            label = Label.THREAT if "where you live" in text else Label.ABUSE if "scum" in text else None
            scores = dict.fromkeys(LABELS, 0.02)
            if label is not None:
                scores[label] = 0.95
            out.append(
                Assessment(
                    labels=scores,
                    flagged=(label,) if label else (),
                    characteristic=None,
                    evidence=(),
                    model=self.model,
                    severity=0.7 if label else 0.0,
                )
            )
        return out


class LabelWorld(World):
    def ingest(self, raw: Sequence[dict[str, Any]]) -> IngestResult:
        return ingest(
            raw,
            repository=self.messages,
            log=self.log,
            clock=self.clock,
            actor=ALICE,
            detector=LabelDetector(),
            hooks=[self.protection.intake],
        )


def _rebuilds(world: World) -> None:
    assert fold(default_reducers(), world.events.iter_events()) == world.events.statuses


def test_blocking_moves_the_senders_earlier_messages_to_hidden_with_the_reason() -> None:
    world = World()
    world.ingest(
        [
            message("1", "you scum", at=T0, author="troll"),
            message("2", "and again", at=T0 + timedelta(minutes=1), author="troll"),
            message("3", "fine policy", at=T0, author="friend"),
        ]
    )
    world.protection.change_settings(TARGET, actor=ALICE, only_known=True)
    world.ingest([message("4", "still here", at=T0 + timedelta(minutes=2), author="troll")])
    assert world.delivery("4") == DeliveryState.HELD  # held too: a held message moves as well
    change = world.protection.add_accounts(TARGET, "blocked", [account_ref("x", "@Troll")], actor=ALICE)
    assert change.moved == 3
    assert change.moved_in_words == "3 earlier messages moved to Hidden."
    assert [world.delivery(x) for x in "1234"] == ["hidden", "hidden", "delivered", "hidden"]
    hidden = world.protection.inbox_item(TARGET, message_id("x", "4"))
    assert [r["code"] for r in hidden.why] == ["blocked"] and hidden.delivery.data["moved_from"] == "held"
    assert hidden.delivery.category == "blocked"
    world.clock.advance(minutes=1)
    again = world.protection.add_accounts(TARGET, "blocked", [account_ref("x", "troll")], actor=ALICE)
    assert again.moved == 0 and again.moved_in_words == "No earlier messages were affected."
    _rebuilds(world)


def test_a_hidden_word_and_a_mute_move_only_what_they_cover_however_disguised() -> None:
    world = World()
    world.ingest(
        [
            message("1", "you p4r4s1te", at=T0, author="a"),
            message("2", "a p a r a s i t e", at=T0, author="b"),
            message("3", "parasol weather", at=T0, author="c"),
            message("4", "hello", at=T0, author="bore"),
        ]
    )
    words = world.protection.add_hidden_word(TARGET, "parasite", actor=ALICE)
    assert words.moved == 2
    (reason,) = world.protection.inbox_item(TARGET, message_id("x", "1")).why
    assert reason == {"code": "hidden_word", "detail": "contains the hidden word 'parasite'"}
    muted = world.protection.add_accounts(TARGET, "muted", [account_ref("x", "bore")], actor=ALICE)
    assert muted.moved == 1
    assert [world.delivery(x) for x in "1234"] == ["hidden", "hidden", "delivered", "hidden"]
    assert world.protection.folder_counts(TARGET)["hidden"] == 3
    _rebuilds(world)


def test_a_move_repeated_from_the_same_control_change_is_refused_by_its_key() -> None:
    world = World()
    world.ingest([message("1", "hello", at=T0, author="troll")])
    moved = ev.delivery_moved_to_hidden(
        TARGET,
        message_id("x", "1"),
        why=[{"code": "blocked", "detail": "@troll is on your block list"}],
        control_key="control.blocked:t_priya:1",
        actor=ALICE,
        at=T0,
    )
    assert len(world.log.append_many([moved]).appended) == 1
    assert len(world.log.append_many([moved]).appended) == 0


def test_report_all_files_each_message_with_its_own_label_unless_one_is_chosen() -> None:
    world = LabelWorld()
    raw = [
        message(
            f"p{i}",
            "we know where you live" if i % 2 else "you traitor scum",
            at=T0 + timedelta(minutes=i),
            author=f"acct{i}",
            new=True,
            followers=3,
            reply_to="vote-post",
        )
        for i in range(30)
    ]
    world.ingest(raw)
    (incident,) = world.protection.incidents([TARGET])
    assert (
        world.protection.report_incident(incident.subject_id, reporter=PRIYA, note="all from one forum") == 30
    )
    filed = [
        e for e in world.events.iter_events() if e.kind == REPORT_FILED and e.actor == user_actor(PRIYA.id)
    ]
    categories = {e.subject_id: e.payload["category"] for e in filed}
    assert categories[message_id("x", "p1")] == "threat" and categories[message_id("x", "p2")] == "abuse"
    assert {e.payload["note"] for e in filed} == {"all from one forum"}
    other = User("u_dan", "dan", frozenset({Role.DELEGATE}), target_ids=(TARGET,))
    assert (
        world.protection.report_incident(incident.subject_id, reporter=other, category="identity_hate") == 30
    )
    chosen = {
        e.payload["category"]
        for e in world.events.iter_events()
        if e.actor == user_actor(other.id) and e.kind == REPORT_FILED
    }
    assert chosen == {"identity_hate"}


def test_a_masked_message_is_summed_up_without_its_words() -> None:
    world = LabelWorld()
    world.ingest([message("1", "we know where you live", at=T0 - timedelta(hours=2), author="x1")])
    item = world.protection.inbox_item(TARGET, message_id("x", "1"))
    assert item.masked
    summary = item.summary(T0)
    assert summary == "Flagged as threat · 2 hours ago · from @x1"
    assert "live" not in summary
    assert ago(T0 - timedelta(seconds=5), T0) == "just now"
    assert ago(T0 - timedelta(days=1, hours=3), T0) == "1 day ago"
    assert ago(T0 - timedelta(minutes=7), T0) == "7 minutes ago"


def test_hide_images_replaces_links_to_pictures_only() -> None:
    text = "look https://img.example/a/b.JPG?x=1 and https://example.org/page, also http://x.io/c.png."
    assert without_image_links(text) == (
        "look [image hidden] and https://example.org/page, also [image hidden]."
    )


def test_viewing_choices_are_remembered_and_one_at_a_time_overrides_showing_a_folder() -> None:
    world = World()
    protection = world.protection
    assert not protection.viewing("u_priya").greyscale
    protection.change_viewing("u_priya", actor=ALICE, show_all=(TARGET, "held", True))
    viewing = protection.change_viewing("u_priya", actor=ALICE, greyscale=True, hide_images=True)
    assert viewing.greyscale and viewing.hide_images and viewing.shows_all(TARGET, "held")
    assert not viewing.shows_all(TARGET, "inbox")
    assert protection.viewing("u_dan").shows_all(TARGET, "held") is False  # per person
    one = protection.change_viewing(
        "u_priya", actor=ALICE, greyscale=True, hide_images=True, one_at_a_time=True
    )
    assert one.one_at_a_time and not one.shows_all(TARGET, "held")
    off = protection.change_viewing(
        "u_priya", actor=ALICE, one_at_a_time=False, show_all=(TARGET, "held", False)
    )
    assert not off.shows_all(TARGET, "held") and off.greyscale
    _rebuilds(world)


def _item(state: ItemState, **data: Any) -> Status:
    return Status(subject_type=MESSAGE, subject_id="m1", state=state, data=data)


def test_a_messages_moderation_state_in_the_targets_words() -> None:
    assert moderation_state(None) is None
    assert moderation_state(_item(ItemState.ASSESSED, flagged=["abuse"])) is None
    reported = moderation_state(_item(ItemState.REPORTED))
    assert reported is not None and reported.state == "reported" and reported.reportable
    by_a_person = moderation_state(_item(ItemState.REPORTED, reporter_kinds=["automated", "target"]))
    assert by_a_person is not None and by_a_person.state == "reported"
    flagged = moderation_state(_item(ItemState.REPORTED, reporter_kinds=["automated"]))
    assert flagged is not None and flagged.state == "flagged" and flagged.reportable
    assert flagged.words == "Flagged by the detector: waiting for a moderator."
    review = moderation_state(_item(ItemState.CLAIMED))
    assert review is not None and review.label == "under review"
    removed = moderation_state(_item(ItemState.DECIDED, action_in_force="remove"))
    assert removed is not None and removed.state == "removed" and not removed.reportable
    assert removed.words == "Removed by the moderators."
    kept = moderation_state(_item(ItemState.DECIDED, action_in_force="no_action"))
    assert kept is not None and kept.state == "no_action" and kept.reportable and "stays up" in kept.words
    appealed = moderation_state(_item(ItemState.APPEALED, action_in_force="remove"))
    assert appealed is not None and appealed.state == "appealed" and "appealed" in appealed.words
    reversed_ = moderation_state(
        _item(ItemState.APPEAL_DECIDED, action_in_force="no_action", appeal_outcome={"outcome": "reversed"})
    )
    assert reversed_ is not None and reversed_.state == "no_action" and "changed" in reversed_.words


def test_a_decisions_reasons_in_words_never_name_the_moderator() -> None:
    event = Event(
        kind=DECISION_MADE,
        subject_type=MESSAGE,
        subject_id="m1",
        actor=user_actor("u_sam"),
        occurred_at=T0,
        idempotency_key="k",
        reason="remove under T1",
        payload={
            "action": "remove",
            "policy_rule": "T1",
            "moderator_id": "u_sam",
            "statement": {
                "incompatible_content_ground": "Threats of violence (rule T1)",
                "incompatible_content_explanation": "A threat to a person's safety.",
                "decision_facts": "The message names where the candidate lives.",
            },
        },
    )
    pairs = reasons_in_words(event)
    assert pairs == [
        ("Rule", "T1"),
        ("Ground", "Threats of violence (rule T1)"),
        ("Why", "A threat to a person's safety."),
        ("Facts", "The message names where the candidate lives."),
    ]
    assert "u_sam" not in repr(pairs)
    assert reasons_in_words(None) == []
