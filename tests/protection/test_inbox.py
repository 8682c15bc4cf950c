"""What reaches the safe inbox, decided without a database: controls before the shield, the
shield's reasons, "only accounts I know", and the recap of a shield period."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hustings.detect.assessment import Label
from hustings.events import Status
from hustings.messages.model import Author, Message
from hustings.protection.controls import Controls
from hustings.protection.events import DELIVERY
from hustings.protection.inbox import decide
from hustings.protection.shield import recap
from tests.conftest import T0

AUTHOR = Author("x:1", "x", "1", "@Someone", None, T0 - timedelta(days=900), 400)
MESSAGE = Message(
    "m_1", "x", "1", "You utter parasite", T0, AUTHOR, (("@priya", "t1"),), None, None, None, T0
)
NONE = Controls("t1", blocked={}, muted={})


def test_a_block_hides_even_while_the_shield_is_on() -> None:
    controls = replace(NONE, blocked={"x:someone": {}}, hidden_words=("parasite",))
    verdict = decide(MESSAGE, hostile=(Label.ABUSE,), controls=controls, shield_on=True, known=True)
    assert verdict.state == "hidden" and not verdict.shielded
    assert [r.code for r in verdict.why] == ["blocked", "hidden_word"]


def test_the_shield_holds_hostile_new_and_unknown_with_every_reason() -> None:
    young = replace(MESSAGE, author=replace(AUTHOR, created_at=T0 - timedelta(days=2)))
    verdict = decide(young, hostile=(Label.ABUSE,), controls=NONE, shield_on=True, known=False)
    assert verdict.state == "held" and verdict.shielded
    assert [r.code for r in verdict.why] == ["shield_hostile", "shield_new_account", "shield_unknown_account"]
    few = replace(MESSAGE, author=replace(AUTHOR, followers=3))
    assert [r.code for r in decide(few, hostile=(), controls=NONE, shield_on=True, known=True).why] == [
        "shield_low_followers"
    ]


def test_a_known_established_account_gets_through_the_shield() -> None:
    verdict = decide(MESSAGE, hostile=(), controls=NONE, shield_on=True, known=True)
    assert verdict.state == "delivered" and verdict.why == ()


def test_hostile_messages_are_delivered_but_marked_without_the_shield() -> None:
    verdict = decide(MESSAGE, hostile=(Label.ABUSE,), controls=NONE, shield_on=False, known=False)
    assert verdict.state == "delivered" and [r.code for r in verdict.why] == ["hostile"]


def test_only_accounts_i_know_holds_strangers_outside_the_shield() -> None:
    controls = replace(NONE, only_known=True)
    assert decide(MESSAGE, hostile=(), controls=controls, shield_on=False, known=False).state == "held"
    assert decide(MESSAGE, hostile=(), controls=controls, shield_on=False, known=True).state == "delivered"


def _delivery(n: int, state: str, *, shielded: bool, at_hours: float, code: str) -> Status:
    return Status(
        DELIVERY,
        f"t1:m_{n}",
        state,
        data={
            "shielded": shielded,
            "decided_at": (T0 + timedelta(hours=at_hours)).isoformat(),
            "why": [{"code": code, "detail": ""}],
            "hostile": ["abuse"] if code == "shield_hostile" else [],
            "author_key": f"x:{n % 2}",
            "incident_id": "i_1" if n == 1 else None,
        },
    )


def test_the_recap_counts_what_the_shield_held_in_its_period() -> None:
    deliveries = [
        _delivery(1, "held", shielded=True, at_hours=1, code="shield_hostile"),
        _delivery(2, "released", shielded=True, at_hours=2, code="shield_unknown_account"),
        _delivery(3, "held", shielded=True, at_hours=30 * 24, code="shield_hostile"),  # a later period
        _delivery(4, "hidden", shielded=False, at_hours=1, code="blocked"),  # a control, not the shield
    ]
    summary = recap(deliveries, T0, T0 + timedelta(days=7))
    assert (summary["held"], summary["released"], summary["still_held"], summary["hostile"]) == (2, 1, 1, 1)
    assert summary["reasons"] == {"shield_hostile": 1, "shield_unknown_account": 1}
    assert summary["incidents"] == ["i_1"]
