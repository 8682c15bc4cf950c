"""The platform referral service on its in-memory store: referring, answers, checks, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hustings.clock import FixedClock
from hustings.errors import Conflict, DuplicateEvent, InvalidInput, NotFound
from hustings.events import EventLog, InMemoryEventStore, fold
from hustings.events.registry import default_reducers
from hustings.platforms.events import SUBJECT
from hustings.platforms.memory import InMemoryPlatformReferralStore
from hustings.platforms.model import (
    Answer,
    Channel,
    ContentCheck,
    PlatformAction,
    PlatformReferralDraft,
    PlatformReferralState,
)
from hustings.platforms.service import AnswerDraft, PlatformReferrals

NOW = datetime(2028, 4, 20, 12, tzinfo=UTC)
MOD = "user:u_mod"
World = tuple[PlatformReferrals, InMemoryEventStore, FixedClock]


@pytest.fixture
def world() -> World:
    events = InMemoryEventStore()
    clock = FixedClock(NOW)
    store = InMemoryPlatformReferralStore(events, ["m1", "m2", "m3"])
    return PlatformReferrals(store, EventLog(events, default_reducers()), clock), events, clock


def draft(**changes: object) -> PlatformReferralDraft:
    values: dict[str, object] = {
        "platform": "x",
        "channel": Channel.TRUSTED_FLAGGER_PORTAL,
        "message_ids": ("m1", "m2"),
    }
    values.update(changes)
    return PlatformReferralDraft(**values)  # type: ignore[arg-type]  # the fields, as keywords


def test_a_referral_names_the_platform_in_its_own_spelling_and_starts_sent(world: World) -> None:
    service, _, _ = world
    referral = service.refer(draft(reference="TF-1"), actor=MOD)
    assert referral.platform == "X"
    assert referral.state is PlatformReferralState.SENT
    assert referral.message_ids == ("m1", "m2")
    assert referral.sent_at == NOW
    assert service.of_message("m2") == [referral]
    assert service.of_message("m3") == []


def test_referring_the_same_messages_the_same_way_twice_is_one_referral(world: World) -> None:
    service, events, _ = world
    first = service.refer(draft(), actor=MOD)
    again = service.refer(draft(message_ids=("m2", "m1")), actor="user:other")
    assert again.id == first.id
    assert len(events.events) == 1
    other = service.refer(draft(platform="Mastodon: mastodon.scot"), actor=MOD)
    assert other.id != first.id and other.platform == "Mastodon: mastodon.scot"


def test_a_referral_of_nothing_or_of_an_unknown_message_or_election_is_refused(world: World) -> None:
    service, events, _ = world
    with pytest.raises(InvalidInput, match="message_ids"):
        service.refer(draft(message_ids=(" ",)), actor=MOD)
    with pytest.raises(NotFound, match="m9"):
        service.refer(draft(message_ids=("m1", "m9")), actor=MOD)
    with pytest.raises(NotFound, match="election_id"):
        service.refer(draft(election_id="parl.2029-05-03"), actor=MOD)
    with pytest.raises(InvalidInput, match="platform"):
        service.refer(draft(platform="  "), actor=MOD)
    with pytest.raises(InvalidInput, match="sent_at"):
        service.refer(draft(sent_at=NOW + timedelta(hours=1)), actor=MOD)
    assert events.events == []


def test_acknowledged_then_actioned_keeps_each_answer_and_its_times(world: World) -> None:
    service, events, clock = world
    referral = service.refer(draft(sent_at=NOW - timedelta(hours=5)), actor=MOD)
    clock.advance(hours=1)
    acked = service.answer(
        referral.id,
        AnswerDraft(Answer.ACKNOWLEDGED, at=NOW - timedelta(hours=4), reference="X-77"),
        actor=MOD,
    )
    assert acked.state is PlatformReferralState.ACKNOWLEDGED
    assert acked.reference == "X-77"
    done = service.answer(
        referral.id, AnswerDraft(Answer.ACTIONED, action=PlatformAction.REMOVED, reason="rule 3"), actor=MOD
    )
    assert done.state is PlatformReferralState.ACTIONED
    assert done.action is PlatformAction.REMOVED
    assert done.first_answer_at == NOW - timedelta(hours=4)
    assert done.actioned_at == NOW + timedelta(hours=1)
    late_ack = service.answer(referral.id, AnswerDraft(Answer.ACKNOWLEDGED), actor=MOD)
    assert late_ack.state is PlatformReferralState.ACTIONED, "an acknowledgement does not undo a decision"
    assert [a.answer for a in late_ack.answers] == [Answer.ACKNOWLEDGED, Answer.ACTIONED, Answer.ACKNOWLEDGED]
    rebuilt = fold(default_reducers(), events.events)[(SUBJECT, referral.id)]
    assert rebuilt == events.statuses[(SUBJECT, referral.id)]


def test_the_same_answer_recorded_twice_appends_nothing(world: World) -> None:
    service, events, _ = world
    referral = service.refer(draft(), actor=MOD)
    answer = AnswerDraft(Answer.DECLINED, at=NOW, reason="not against our rules")
    service.answer(referral.id, answer, actor=MOD)
    count = len(events.events)
    declined = service.answer(referral.id, answer, actor=MOD)
    assert len(events.events) == count
    assert declined.state is PlatformReferralState.DECLINED
    assert declined.declined_reason == "not against our rules"


def test_answers_that_do_not_make_sense_are_refused_naming_the_field(world: World) -> None:
    service, _, _ = world
    referral = service.refer(draft(), actor=MOD)
    with pytest.raises(InvalidInput, match="action"):
        service.answer(referral.id, AnswerDraft(Answer.ACTIONED), actor=MOD)
    with pytest.raises(InvalidInput, match="action"):
        service.answer(
            referral.id, AnswerDraft(Answer.DECLINED, action=PlatformAction.REMOVED, reason="x"), actor=MOD
        )
    with pytest.raises(InvalidInput, match="reason"):
        service.answer(referral.id, AnswerDraft(Answer.DECLINED), actor=MOD)
    with pytest.raises(InvalidInput, match="before the referral was sent"):
        service.answer(
            referral.id, AnswerDraft(Answer.ACKNOWLEDGED, at=NOW - timedelta(seconds=1)), actor=MOD
        )
    with pytest.raises(NotFound):
        service.answer("pr_nope", AnswerDraft(Answer.ACKNOWLEDGED), actor=MOD)


def test_no_answer_then_a_late_answer_moves_the_referral_on(world: World) -> None:
    service, _, clock = world
    referral = service.refer(draft(), actor=MOD)
    clock.advance(days=8)
    silent = service.answer(referral.id, AnswerDraft(Answer.NO_ANSWER, reason="chased twice"), actor=MOD)
    assert silent.state is PlatformReferralState.NO_ANSWER
    assert silent.first_answer_at is None
    clock.advance(days=1)
    acted = service.answer(
        referral.id, AnswerDraft(Answer.ACTIONED, action=PlatformAction.ACCOUNT_SUSPENDED), actor=MOD
    )
    assert acted.state is PlatformReferralState.ACTIONED


def test_a_check_records_whether_the_content_is_still_up_without_changing_the_state(world: World) -> None:
    service, events, clock = world
    referral = service.refer(draft(), actor=MOD)
    clock.advance(hours=2)
    checked = service.check(referral.id, ContentCheck.UP, actor=MOD, reason="looked on the site")
    assert checked.state is PlatformReferralState.SENT
    assert checked.last_check is not None
    assert (checked.last_check.result, checked.last_check.at) == (ContentCheck.UP, NOW + timedelta(hours=2))
    count = len(events.events)
    service.check(referral.id, ContentCheck.UP, actor=MOD, reason="looked on the site")
    assert len(events.events) == count


def test_two_different_answers_on_one_state_cannot_both_be_logged(world: World) -> None:
    service, events, _ = world
    referral = service.refer(draft(), actor=MOD)
    status = events.statuses[(SUBJECT, referral.id)]
    from hustings.platforms.events import PLATFORM_REFERRAL_ANSWERED, next_event

    first = next_event(
        status,
        PLATFORM_REFERRAL_ANSWERED,
        {"answer": "acknowledged", "at": NOW.isoformat(), "action": None, "reference": ""},
        actor=MOD,
        at=NOW,
        reason="",
    )
    second = next_event(
        status,
        PLATFORM_REFERRAL_ANSWERED,
        {"answer": "declined", "at": NOW.isoformat(), "action": None, "reference": ""},
        actor="user:other",
        at=NOW,
        reason="no",
    )
    service.log.append(first)
    with pytest.raises((DuplicateEvent, Conflict)):
        service.log.append(second)
