"""Seed a database with a target, messages to them, assessments and reports, per the contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from hustings.detect.assessment import Evidence, Label
from hustings.events import SYSTEM_ACTOR, Event
from hustings.messages.ingest import assessment_event
from hustings.moderation.events import REPORT_FILED
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import sample_message
from tests.referrals.builders import assessment

THREAT = "I know where you live. I'll be outside your house tonight at 9pm."
ABUSE = "You are a worthless liar and everyone hates you"
CRITICISM = "Your housing policy is a disgrace and you should resign."


@dataclass(frozen=True)
class Seeded:
    threat: str
    abuse: str
    criticism: str
    texts: dict[str, str]


def seed(services: Services) -> Seeded:
    """A candidate; three messages from one author (a threat, abuse, criticism) with a reply chain."""
    now = services.clock.now()
    services.targets.create(
        name="Priya Raman",
        role=TargetRole.CANDIDATE,
        party="Labour",
        constituency="Fenmarsh and Ashby",
        handles=[("x", "@priya")],
        now=now,
        target_id="t_priya_ref",
    )
    raw = [
        sample_message("ref-1", text=CRITICISM, created_at="2026-05-06T20:00:00+00:00"),
        sample_message("ref-2", text=ABUSE, created_at="2026-05-06T21:00:00+00:00", in_reply_to="ref-1"),
        sample_message(
            "ref-3",
            text=THREAT,
            created_at="2026-05-06T22:00:00+00:00",
            in_reply_to="ref-2",
            url="https://x.example/ref-3",
        ),
    ]
    result = services.ingest(raw, actor=SYSTEM_ACTOR)
    criticism, abuse, threat = result.ids
    stored = {m.id: m for m in result.stored}
    flags = {
        threat: assessment(
            Label.THREAT, evidence=(Evidence(Label.THREAT, 0, 22, THREAT[:22], "knows the home"),)
        ),
        abuse: assessment(Label.ABUSE),
        criticism: assessment(),
    }
    for message_id, found in flags.items():
        services.log.append(assessment_event(stored[message_id], found, now))
    for index, (message_id, category) in enumerate([(threat, "threat"), (abuse, "abuse")]):
        services.log.append(
            Event(
                kind=REPORT_FILED,
                subject_type="message",
                subject_id=message_id,
                actor="user:u_target",
                occurred_at=now + timedelta(minutes=index),
                idempotency_key=f"test-report:{message_id}",
                payload={
                    "report_id": f"rep{index}",
                    "reporter_kind": "target",
                    "reporter_id": "u_target",
                    "category": category,
                    "claims_illegal": True,
                    "manifestly_illegal": category == "threat",
                    "note": "",
                },
            )
        )
    services.session.commit()
    return Seeded(
        threat=threat,
        abuse=abuse,
        criticism=criticism,
        texts={threat: THREAT, abuse: ABUSE, criticism: CRITICISM},
    )


@pytest.fixture
def seeded(services: Services) -> Seeded:
    return seed(services)
