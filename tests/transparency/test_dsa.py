"""DSA export: each restricting decision as a statement of reasons, invalid ones refused by name."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from hustings.errors import InvalidInput
from hustings.events import Event
from hustings.moderation.events import Action
from hustings.moderation.reasons import build_statement
from hustings.transparency.dsa import dsa_export

AT = datetime(2026, 5, 7, 12, tzinfo=UTC)


def statement(action: Action, puid: str) -> dict[str, Any]:
    return build_statement(
        puid=puid,
        action=action,
        ground="incompatible",
        legal_ground="Hustings policy rule A1: threats",
        explanation="A threat of violence against a candidate.",
        category="STATEMENT_CATEGORY_VIOLENCE",
        keywords=("KEYWORD_CYBER_BULLYING_INTIMIDATION",),
        decision_facts="Message threatened the candidate at her home.",
        content_date=date(2026, 5, 6),
        application_date=date(2026, 5, 7),
        territorial_scope=("IE",),
        content_type=("CONTENT_TYPE_TEXT",),
        reporter_kinds={"trusted_flagger"},
        automated_detection=True,
    ).to_dsa_json()


def decision(decision_id: str, action: Action, statement_json: dict[str, Any]) -> Event:
    return Event(
        kind="decision.made",
        subject_type="message",
        subject_id=f"m_{decision_id}",
        actor="user:u_mod",
        occurred_at=AT,
        idempotency_key=decision_id,
        payload={"decision_id": decision_id, "action": action.value, "statement": statement_json},
    )


def test_each_restricting_decision_becomes_one_json_line_with_dsa_field_names() -> None:
    events = [
        decision("d1", Action.REMOVE, statement(Action.REMOVE, "d1-m_d1")),
        decision("d2", Action.NO_ACTION, {}),
        decision("d3", Action.SUSPEND_ACCOUNT, statement(Action.SUSPEND_ACCOUNT, "d3-m_d3")),
    ]
    export = dsa_export(events)
    assert export.no_statement == 1 and not export.refused
    lines = [json.loads(line) for line in export.text().splitlines()]
    assert [line["puid"] for line in lines] == ["d1-m_d1", "d3-m_d3"]
    assert lines[0]["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert lines[0]["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert lines[1]["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert lines[0]["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"


def test_an_invalid_combination_is_refused_naming_the_decision_and_the_field() -> None:
    broken = statement(Action.REMOVE, "d9-m_d9")
    broken["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"  # but the illegal-content fields are absent
    events = [
        decision("d8", Action.HIDE, statement(Action.HIDE, "d8-m_d8")),
        decision("d9", Action.REMOVE, broken),
    ]
    with pytest.raises(InvalidInput, match=r"decision d9 on message m_d9: .*illegal_content_legal_ground"):
        dsa_export(events)
    lenient = dsa_export(events, strict=False)
    assert len(lenient.lines) == 1 and len(lenient.refused) == 1 and "d9" in lenient.refused[0]


def test_a_takedown_without_a_statement_is_refused() -> None:
    with pytest.raises(InvalidInput, match="statement: missing"):
        dsa_export([decision("d5", Action.REMOVE, {})])
