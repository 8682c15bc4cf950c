"""Filing reports: one item per message, repeats counted once, the clock from the first notice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.detect.assessment import Label
from hustings.errors import InvalidInput, NotFound
from hustings.events import EventLog
from hustings.moderation.events import ReporterKind
from hustings.moderation.reports import (
    file_automated_reports,
    file_report,
    message_id_of,
    outcome_in_words,
    reporter_kind_for,
)
from tests.conftest import T0
from tests.moderation.conftest import assessed_event, assessment, ingested_event, person

M1 = "m_" + "a" * 32


def test_many_reports_join_one_item_and_repeats_count_once(
    memory_log: EventLog, fixed_clock: FixedClock
) -> None:
    memory_log.append(ingested_event(M1))
    alice, bob = person("alice", Role.FLAGGER), person("bob", Role.ANALYST)
    first = file_report(
        memory_log,
        fixed_clock,
        message_id=M1,
        reporter=alice,
        reporter_kind=ReporterKind.TRUSTED_FLAGGER,
        category="abuse",
        claims_illegal=False,
        note="pile-on",
    )
    again = file_report(
        memory_log,
        fixed_clock,
        message_id=M1,
        reporter=alice,
        reporter_kind=ReporterKind.TRUSTED_FLAGGER,
        category="abuse",
    )
    third = file_report(
        memory_log,
        fixed_clock,
        message_id=M1,
        reporter=bob,
        reporter_kind=ReporterKind.USER,
        category="abuse",
    )
    assert not first.repeat and again.repeat and not third.repeat
    assert len({first.report_id, again.report_id, third.report_id}) == 3
    data = third.status.data
    assert third.status.state == "reported"
    assert (data["report_count"], data["distinct_reporters"], data["repeat_reports"]) == (3, 2, 1)
    assert message_id_of(first.report_id) == M1
    assert third.status.due_at == T0 + timedelta(days=7)


def test_a_threat_report_shortens_the_clock_to_24_hours_from_the_first_notice(
    memory_log: EventLog, fixed_clock: FixedClock
) -> None:
    memory_log.append(ingested_event(M1))
    user = person("u", Role.ANALYST)
    file_report(
        memory_log,
        fixed_clock,
        message_id=M1,
        reporter=user,
        reporter_kind=ReporterKind.USER,
        category="abuse",
    )
    fixed_clock.advance(hours=3)
    later = file_report(
        memory_log,
        fixed_clock,
        message_id=M1,
        reporter=person("v", Role.ANALYST),
        reporter_kind=ReporterKind.USER,
        category="threat",
        claims_illegal=True,
    )
    assert later.status.due_at == T0 + timedelta(hours=24)
    assert later.status.data["manifestly_illegal"] is True
    assert later.status.category == "abuse"  # the item keeps the category it was opened with


def test_bad_reports_name_the_field(memory_log: EventLog, fixed_clock: FixedClock) -> None:
    memory_log.append(ingested_event(M1))
    user = person("u", Role.ANALYST)
    with pytest.raises(InvalidInput, match="category"):
        file_report(
            memory_log,
            fixed_clock,
            message_id=M1,
            reporter=user,
            reporter_kind=ReporterKind.USER,
            category="rude",
        )
    with pytest.raises(InvalidInput, match="note"):
        file_report(
            memory_log,
            fixed_clock,
            message_id=M1,
            reporter=user,
            reporter_kind=ReporterKind.USER,
            category="abuse",
            note="x" * 2001,
        )
    with pytest.raises(NotFound, match="message_id"):
        file_report(
            memory_log,
            fixed_clock,
            message_id="m_" + "b" * 32,
            reporter=user,
            reporter_kind=ReporterKind.USER,
            category="abuse",
        )
    with pytest.raises(NotFound, match="report_id"):
        message_id_of("x")


def test_reporter_kind_comes_from_the_role_and_the_message() -> None:
    assert reporter_kind_for(person("f", Role.FLAGGER), ["t_1"]) == ReporterKind.TRUSTED_FLAGGER
    assert reporter_kind_for(person("p", Role.TARGET, target_ids=("t_1",)), ["t_1"]) == ReporterKind.TARGET
    assert reporter_kind_for(person("p", Role.TARGET, target_ids=("t_2",)), ["t_1"]) == ReporterKind.USER
    assert (
        reporter_kind_for(person("d", Role.DELEGATE, target_ids=("t_1",)), ["t_1"]) == ReporterKind.DELEGATE
    )
    assert reporter_kind_for(person("a", Role.ANALYST), ["t_1"]) == ReporterKind.USER


def test_the_detector_files_one_automated_report_per_flagged_message(
    memory_log: EventLog, fixed_clock: FixedClock
) -> None:
    m2 = "m_" + "c" * 32
    found = {M1: assessment(Label.THREAT, Label.ABUSE), m2: assessment()}
    for message_id, item in found.items():
        memory_log.append_many([ingested_event(message_id), assessed_event(message_id, item)])
    filed = file_automated_reports(memory_log, fixed_clock, found)
    assert len(filed) == 1
    assert file_automated_reports(memory_log, fixed_clock, found) == []  # idempotent
    status = memory_log.store.load_statuses([("message", M1)])[("message", M1)]
    assert status.state == "reported"
    assert status.category == "threat"
    assert status.data["reporter_kinds"] == ["automated"]
    assert status.due_at == T0 + timedelta(hours=24)
    untouched = memory_log.store.load_statuses([("message", m2)])[("message", m2)]
    assert untouched.state == "assessed"


def test_the_outcome_in_words_never_names_the_moderator(
    memory_log: EventLog, fixed_clock: FixedClock
) -> None:
    memory_log.append(ingested_event(M1))
    outcome = file_report(
        memory_log,
        fixed_clock,
        message_id=M1,
        reporter=person("u", Role.ANALYST),
        reporter_kind=ReporterKind.USER,
        category="abuse",
    )
    stage, words = outcome_in_words(outcome.status)
    assert stage == "received" and "waiting" in words
