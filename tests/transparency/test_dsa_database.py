"""Every decision Hustings can make exports a statement the Transparency Database would accept,
judged by the database's rules written out independently in `tests/transparency/dsa_database.py`."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.detect.assessment import Label
from hustings.errors import ConfigurationError
from hustings.events import EventLog
from hustings.moderation.appeals import decide_appeal, file_appeal
from hustings.moderation.decisions import DecisionRequest, decide
from hustings.moderation.events import Action, ReporterKind
from hustings.moderation.policy import POLICY_FILE, parse_policy
from hustings.moderation.reports import file_automated_reports, file_report
from hustings.moderation.taxonomy import TAXONOMY
from hustings.transparency.dsa import dsa_export
from tests.moderation.conftest import (
    assessed_event,
    assessment,
    fixed_clock,
    ingested_event,
    memory_log,
    person,
)

__all__ = ["fixed_clock", "memory_log"]  # fixtures shared with the moderation tests
from tests.transparency.dsa_database import validate

SAM = person("sam", Role.MODERATOR)
JO = person("jo", Role.MODERATOR)
ALEX = person("alex", Role.TARGET)


def _message(log: EventLog, clock: FixedClock, n: int, *, automated: bool) -> str:
    message_id = "m_" + f"{n:032x}"
    event = ingested_event(message_id)
    log.append(replace(event, payload={**event.payload, "lang": "en-GB"}))
    flagged = assessment(Label.THREAT)
    log.append(assessed_event(message_id, flagged))
    if automated:
        file_automated_reports(log, clock, {message_id: flagged})
    else:
        file_report(
            log,
            clock,
            message_id=message_id,
            reporter=ALEX,
            reporter_kind=ReporterKind.TARGET,
            category="threat",
        )
    return message_id


RULES = ["T1", "D1", "H1", "S1", "A1", "O1"]


@pytest.mark.parametrize("rule_id", RULES)
def test_every_decision_and_every_reversal_exports_a_statement_the_database_accepts(
    memory_log: EventLog, fixed_clock: FixedClock, rule_id: str
) -> None:
    n = 0
    for action in Action:
        for automated in (True, False):
            n += 1
            message_id = _message(memory_log, fixed_clock, n, automated=automated)
            decide(
                memory_log,
                fixed_clock,
                moderator=SAM,
                request=DecisionRequest(
                    message_id=message_id,
                    action=action,
                    policy_rule=rule_id if action != Action.NO_ACTION else "N1",
                ),
            )
    # Each restricting action, reversed on appeal to every other action.
    for original in Action:
        if original == Action.NO_ACTION:
            continue
        for reversed_to in Action:
            if reversed_to == original:
                continue
            n += 1
            message_id = _message(memory_log, fixed_clock, n, automated=False)
            decide(
                memory_log,
                fixed_clock,
                moderator=SAM,
                request=DecisionRequest(message_id=message_id, action=original, policy_rule=rule_id),
            )
            file_appeal(memory_log, fixed_clock, message_id=message_id, recorded_by=JO, reason="mistaken")
            decide_appeal(
                memory_log,
                fixed_clock,
                moderator=JO,
                message_id=message_id,
                outcome="reversed",
                reasons="On a second look the action was wrong.",
                new_action=reversed_to,
            )

    export = dsa_export(memory_log.store.iter_events())
    statements = [json.loads(line) for line in export.lines]
    restricting = [a for a in Action if a != Action.NO_ACTION]
    appealed = len(restricting) * len(restricting)  # each restricting action, reversed to each other
    reversals_to_restriction = len(restricting) * (len(restricting) - 1)
    assert len(statements) == 2 * len(restricting) + appealed + reversals_to_restriction
    # no_action decisions, and reversals to no_action, restrict nothing: they need no statement.
    assert export.no_statement == 2 + len(restricting)
    for statement in statements:
        assert validate(statement) == {}, statement["puid"]
        assert statement["content_language"] == "EN"
    assert len({s["puid"] for s in statements}) == len(statements)
    assert {s["source_type"] for s in statements} == {"SOURCE_VOLUNTARY", "SOURCE_ARTICLE_16"}


def test_the_rules_refuse_what_the_database_refuses() -> None:
    """The stand-in is not a rubber stamp: each rule the issue names refuses a bad value."""
    from tests.transparency.test_dsa import statement

    good = statement(Action.REMOVE, "d1-m_1")
    assert validate(good) == {}
    for change, field in [
        ({"puid": "d1:m_1"}, "puid"),
        ({"puid": "x" * 501}, "puid"),
        ({"category": "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR"}, "category"),
        ({"category_specification": ["KEYWORD_ONLINE_BULLYING_INTIMIDATION"]}, "category_specification"),
        ({"content_language": "XX"}, "content_language"),
        ({"decision_ground_reference_url": "not a url"}, "decision_ground_reference_url"),
        ({"content_date": "1999-12-31"}, "content_date"),
        ({"application_date": "2019-12-31", "content_date": "2019-12-30"}, "application_date"),
    ]:
        assert field in validate(good | change), change


def test_the_shipped_policy_uses_the_current_names() -> None:
    policy = parse_policy(POLICY_FILE.read_text(encoding="utf-8"))
    for rule in policy.rules:
        if rule.breach:
            assert rule.dsa_category in TAXONOMY.categories
            assert set(rule.dsa_keywords) <= TAXONOMY.keywords


def test_a_policy_with_an_old_name_is_refused_naming_the_rule_and_the_replacement() -> None:
    text = POLICY_FILE.read_text(encoding="utf-8").replace(
        '"KEYWORD_CYBER_HARASSMENT"]', '"KEYWORD_ONLINE_BULLYING_INTIMIDATION"]', 1
    )
    with pytest.raises(ConfigurationError) as raised:
        parse_policy(text)
    message = str(raised.value)
    assert "rules.S1.dsa_keywords" in message
    assert "KEYWORD_CYBER_BULLYING_INTIMIDATION" in message and "2025-07-01" in message


def test_what_the_report_counts_as_taken_down_is_what_the_statements_say_was_removed() -> None:
    from hustings.moderation.events import TAKEDOWN_ACTIONS
    from hustings.moderation.reasons import DecisionVisibility, effects_of

    takes_down = {DecisionVisibility.CONTENT_REMOVED, DecisionVisibility.CONTENT_DISABLED}
    declared = {
        action
        for action in Action
        if action != Action.NO_ACTION and takes_down & set(effects_of(action).get("decision_visibility", []))
    }
    assert declared == TAKEDOWN_ACTIONS
    assert {Action.RESTRICT_ACCOUNT, Action.SUSPEND_ACCOUNT} <= TAKEDOWN_ACTIONS
