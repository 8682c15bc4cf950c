"""The statement of reasons follows the DSA Transparency Database and refuses bad combinations."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.detect.assessment import Label
from hustings.errors import InvalidInput
from hustings.events import EventLog
from hustings.moderation.appeals import decide_appeal, file_appeal
from hustings.moderation.decisions import DecisionRequest, decide
from hustings.moderation.events import Action, ReporterKind
from hustings.moderation.policy import load_policy
from hustings.moderation.reasons import build_statement, parse_statement
from hustings.moderation.reports import file_automated_reports
from hustings.moderation.work import load_item
from tests.moderation.conftest import assessed_event, assessment, ingested_event, person

M = "m_" + "e" * 32
SAM = person("sam", Role.MODERATOR)
JO = person("jo", Role.MODERATOR)


def valid() -> dict[str, Any]:
    return {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": "Malicious Communications Act 1988 s.1",
        "illegal_content_explanation": "A threat to kill.",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2026-05-06",
        "application_date": "2026-05-07",
        "territorial_scope": ["IE", "FR"],
        "decision_facts": "The message threatens the candidate with death.",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": "d_1",
    }


def test_a_valid_statement_exports_the_database_field_names() -> None:
    exported = parse_statement(valid()).to_dsa_json()
    assert exported["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert exported["content_date"] == "2026-05-06"
    assert exported["territorial_scope"] == ["FR", "IE"]
    assert "incompatible_content_ground" not in exported


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"illegal_content_legal_ground": None}, "illegal_content_legal_ground"),
        ({"incompatible_content_ground": "ToS 2"}, "incompatible_content_ground"),
        ({"decision_visibility": None}, "decision_visibility"),
        ({"decision_visibility": ["DECISION_VISIBILITY_OTHER"]}, "decision_visibility_other"),
        ({"category": "STATEMENT_CATEGORY_MADE_UP"}, "category"),
        ({"territorial_scope": ["GB"]}, "territorial_scope"),
        ({"application_date": "2026-05-01"}, "application_date"),
        ({"source_type": "SOURCE_GOSSIP"}, "source_type"),
        ({"automated_detection": "Maybe"}, "automated_detection"),
        ({"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other"),
        ({"decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT"}, "illegal_content_legal_ground"),
        ({"end_date_account_restriction": "2026-06-01"}, "end_date_account_restriction"),
    ],
)
def test_invalid_combinations_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_statement(valid() | change)
    assert field in str(raised.value)


@pytest.mark.parametrize("rule_id", ["T1", "D1", "H1", "S1", "A1", "O1"])
@pytest.mark.parametrize(
    "action",
    [a for a in Action if a != Action.NO_ACTION],
    ids=[a.value for a in Action if a != Action.NO_ACTION],
)
def test_every_breach_rule_and_action_builds_a_valid_statement(rule_id: str, action: Action) -> None:
    policy = load_policy()
    rule = policy.rule(rule_id)
    assert rule.ground != "none"
    statement = build_statement(
        puid="d_x",
        action=action,
        ground=rule.ground,
        legal_ground=rule.legal_ground,
        explanation=rule.explanation,
        category=rule.dsa_category,
        keywords=rule.dsa_keywords,
        decision_facts="facts",
        content_date=date(2026, 5, 6),
        application_date=date(2026, 5, 7),
        territorial_scope=policy.defaults.territorial_scope,
        content_type=policy.defaults.content_type,
        reporter_kinds={"trusted_flagger", "automated"},
        automated_detection=True,
        content_language="en-GB",
    )
    exported = statement.to_dsa_json()
    assert exported["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert exported["content_language"] == "EN"
    assert ("illegal_content_legal_ground" in exported) == (rule.ground == "illegal")
    if action == Action.SUSPEND_ACCOUNT:
        assert exported["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"


def test_no_action_has_no_statement() -> None:
    from hustings.moderation.reasons import effects_of

    with pytest.raises(InvalidInput, match="action"):
        effects_of(Action.NO_ACTION)


def test_an_appeals_statement_agrees_with_the_decisions_on_automated_detection(
    memory_log: EventLog, fixed_clock: FixedClock
) -> None:
    """The detector reported the message, then a newer model flagged nothing: the content was
    still detected by automated means, and both statements say so."""
    memory_log.append(ingested_event(M))
    flagged = assessment(Label.THREAT)
    memory_log.append(assessed_event(M, flagged))
    assert file_automated_reports(memory_log, fixed_clock, {M: flagged})
    quiet = replace(assessment(), model="test-detector@2")
    memory_log.append(replace(assessed_event(M, quiet), idempotency_key=f"message.assessed:{M}:2"))
    item = load_item(memory_log, M)
    assert item.data["flagged"] == [] and ReporterKind.AUTOMATED in item.data["reporter_kinds"]

    decided = decide(
        memory_log,
        fixed_clock,
        moderator=SAM,
        request=DecisionRequest(message_id=M, action=Action.REMOVE, policy_rule="T1"),
    )
    file_appeal(memory_log, fixed_clock, message_id=M, recorded_by=JO, reason="it was a joke")
    after = decide_appeal(
        memory_log,
        fixed_clock,
        moderator=JO,
        message_id=M,
        outcome="reversed",
        reasons="A joke between friends, but it still needs a warning.",
        new_action=Action.LABEL,
    )
    assert after.data["action_in_force"] == Action.LABEL
    (appealed,) = [
        event.payload["statement"]
        for event in memory_log.store.iter_events()
        if event.kind == "appeal.decided"
    ]
    assert decided.statement is not None
    assert decided.statement["automated_detection"] == "Yes"
    assert appealed["automated_detection"] == decided.statement["automated_detection"]
    assert appealed["source_type"] == decided.statement["source_type"]
    assert appealed["content_date"] == decided.statement["content_date"]
