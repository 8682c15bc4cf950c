"""The referral service on its in-memory store: no database, a fixed clock, packs in a temporary folder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hustings.clock import FixedClock
from hustings.detect.assessment import Label
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import EventLog, InMemoryEventStore, user_actor
from hustings.events.registry import default_reducers
from hustings.referrals.content import ReportSummary
from hustings.referrals.memory import InMemoryReferralStore
from hustings.referrals.pack import verify_pack
from hustings.referrals.vault import PackVault
from hustings.referrals.workflow import MAX_MESSAGES, Referrals
from tests.referrals.builders import PRIYA, T0, item, message

LIAISON = user_actor("u_liaison")
THREAT = message("m-threat", "I'll be outside your house tonight at 9pm.", minutes=30)
ABUSE = message("m-abuse", "You are a worthless liar", minutes=10)
CRITICISM = message("m-criticism", "Your housing policy is a disgrace", minutes=5)
FIRST_REPORT = T0 + timedelta(minutes=40)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(hours=1))


@pytest.fixture
def store() -> InMemoryReferralStore:
    store = InMemoryReferralStore(InMemoryEventStore())
    store.add_target(PRIYA)
    report = ReportSummary(FIRST_REPORT, "target", "threat", True, "")
    store.add_message(item(THREAT, Label.THREAT, reports=(report,)))
    later = ReportSummary(FIRST_REPORT + timedelta(minutes=5), "target", "abuse", True, "")
    store.add_message(item(ABUSE, Label.ABUSE, reports=(later,)))
    store.add_message(item(CRITICISM))
    store.incidents["i_pileon"] = [ABUSE.id, CRITICISM.id]
    return store


@pytest.fixture
def referrals(store: InMemoryReferralStore, clock: FixedClock, tmp_path: Path) -> Referrals:
    return Referrals(store, EventLog(store.events, default_reducers()), clock, PackVault(tmp_path, "k" * 64))


def test_a_referral_gathers_messages_and_an_incident_once_each_and_is_stamped_by_the_clock(
    referrals: Referrals, clock: FixedClock
) -> None:
    opened = referrals.create(actor=LIAISON, message_ids=[THREAT.id, ABUSE.id], incident_id="i_pileon")
    assert opened.data["message_ids"] == [THREAT.id, ABUSE.id, CRITICISM.id]
    assert opened.data["urgent"] is True and opened.target_id == PRIYA.id
    assert opened.data["created_at"] == clock.now().isoformat()
    assert opened.data["first_report_at"] == FIRST_REPORT.isoformat()

    with pytest.raises(NotFound, match="incident_id"):
        referrals.create(actor=LIAISON, incident_id="i_none")
    with pytest.raises(NotFound, match="m_unknown"):
        referrals.create(actor=LIAISON, message_ids=["m_unknown"])
    with pytest.raises(InvalidInput, match="at most"):
        referrals.create(actor=LIAISON, message_ids=[f"m{i}" for i in range(MAX_MESSAGES + 1)])
    with pytest.raises(InvalidInput, match="message_ids"):
        referrals.create(actor=LIAISON, message_ids=[" "])


def test_a_pack_is_built_exported_and_sent_each_step_in_the_custody_chain_at_the_clocks_time(
    referrals: Referrals, clock: FixedClock
) -> None:
    rid = referrals.create(actor=LIAISON, message_ids=[THREAT.id]).subject_id
    clock.advance(minutes=20)
    built = referrals.build_pack(rid, actor=LIAISON)
    recorded = [str(e.payload["pack_sha256"]) for e in referrals.pack_built_events(built.pack_id)]
    assert recorded == [built.pack_sha256]
    assert referrals.pack_built_events("p_0000000000000000") == []
    clock.advance(minutes=20)
    data, filename = referrals.export_pack(rid, built.pack_id, actor=LIAISON)
    assert verify_pack(data, recorded_sha256=recorded).ok and filename.endswith(".zip")
    with pytest.raises(NotFound, match="pack_id"):
        referrals.export_pack(rid, "p_0000000000000000", actor=LIAISON)
    clock.advance(hours=1)
    sent = referrals.send(rid, actor=LIAISON, force="Fenshire Police", via="secure email")
    assert sent.state == "sent"
    assert sent.data["hours_from_first_report_to_referral"] == 2.0  # first report at T0 + 40 min

    custody = referrals.evidence(rid).custody
    assert [(entry.action, entry.at) for entry in custody] == [
        ("created", T0 + timedelta(hours=1)),
        ("pack built", T0 + timedelta(hours=1, minutes=20)),
        ("exported", T0 + timedelta(hours=1, minutes=40)),
        ("sent to police", clock.now()),
    ]
    referrals.record_outcome(rid, actor=LIAISON, outcome="no_further_action")
    with pytest.raises(Conflict, match="closed"):
        referrals.send(rid, actor=LIAISON, force="Fenshire Police")


def test_the_list_puts_urgent_referrals_first_then_the_latest_changed(
    referrals: Referrals, clock: FixedClock
) -> None:
    routine_old = referrals.create(actor=LIAISON, message_ids=[CRITICISM.id]).subject_id
    clock.advance(minutes=1)
    urgent = referrals.create(actor=LIAISON, message_ids=[THREAT.id]).subject_id
    clock.advance(minutes=1)
    routine_new = referrals.create(actor=LIAISON, message_ids=[ABUSE.id]).subject_id
    assert [s.subject_id for s in referrals.all()] == [urgent, routine_new, routine_old]
    assert [s.subject_id for s in referrals.all(limit=2)] == [urgent, routine_new]
    clock.advance(minutes=1)
    referrals.update_status(routine_old, actor=LIAISON, police_status="acknowledged")
    assert [s.subject_id for s in referrals.all()] == [urgent, routine_old, routine_new]
