"""The free texts written about the parties on a case's steps (the reasons of decisions and
objections, the evidence relied on, the reason for departing from the sanction guidance) are sealed
with the case's key like its personal fields: absent from the log's rows, opened for the case
team, erased with the key. `seal_legacy` (`hustings complaints-encrypt-legacy`) seals in place what
older cases hold in the clear, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hustings.auth.model import Role
from hustings.complaints import events as ev
from hustings.complaints.model import (
    Assessment,
    Complainant,
    Grounds,
    Recipient,
    Severity,
    TeamRole,
    Viewer,
)
from hustings.complaints.service import Complaints
from hustings.events import fold
from hustings.events.model import Event, next_event
from hustings.events.registry import default_reducers
from hustings.services import Services
from hustings.storage.tables import EventRow, StatusRow
from tests.complaints.conftest import ADMIN, PARTY, World, complaint

REASON = "Ann Example's account of the branch meeting is borne out."
EVIDENCE = "Ann Example's screenshots of M1001's replies"
DEPARTURE = "M1001 was warned in writing twice before."
OBJECTION = "Ann Example says the investigator canvassed with M1001."
OBJECTION_DECIDED = "The investigator shared a campaign office with M1001."
SECRETS = (REASON, EVIDENCE, DEPARTURE, OBJECTION, OBJECTION_DECIDED)


def decided_and_closed(c: Complaints, as_: Callable[..., Viewer]) -> str:
    officer = as_("officer", Role.COMPLAINTS_OFFICER)
    grounds = Grounds(REASON, ("1.2",), EVIDENCE)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    c.assess(ref, officer, Assessment.INVESTIGATION, grounds)
    c.assign(ref, officer, "investigator", TeamRole.INVESTIGATOR)
    c.object(ref, officer, "investigator", Recipient.COMPLAINANT, reason=OBJECTION)
    c.decide_objection(ref, officer, "investigator", upheld=True, reason=OBJECTION_DECIDED)
    c.assign(ref, officer, "senior", TeamRole.INVESTIGATOR)
    c.charge(ref, as_("senior", Role.INVESTIGATOR), grounds)
    c.open_hearing(ref, officer, ["panel1", "panel2"])
    c.decide(
        ref,
        as_("panel1", Role.PANEL_MEMBER),
        grounds,
        proved=True,
        sanction="expulsion",
        severity=Severity.LOW,
        departure=DEPARTURE,
    )
    c.close(ref, officer, grounds, outcome="resolved")
    return ref


def clear_texts(events: list[Event]) -> str:
    return json.dumps([[e.reason, dict(e.payload)] for e in events])


def test_step_texts_are_sealed_shown_to_the_team_and_erased_with_the_key(world: World) -> None:
    c = world.complaints
    ref = decided_and_closed(c, world.as_)
    logged = clear_texts(world.events.events)
    statuses = json.dumps([s.data for s in world.events.statuses.values()])
    for text in SECRETS:
        assert text not in logged and text not in statuses
    officer = world.as_("officer", Role.COMPLAINTS_OFFICER)
    case = c.open(ref, officer)
    assert (case.objections[0].reason, case.objections[0].decision_reason) == (OBJECTION, OBJECTION_DECIDED)
    history = {e.kind: e for e in c.history(case)}
    decided = history[ev.DECIDED]
    assert (decided.reason, decided.payload["evidence"], decided.payload["departure"]) == (
        REASON,
        EVIDENCE,
        DEPARTURE,
    )
    assert decided.payload["sanction"] == "expulsion" and decided.payload["outcome"] == "proved"
    assert ev.SEALED_WORDS not in decided.payload
    assert fold(default_reducers(), world.events.events) == world.events.statuses

    world.clock.advance(days=731)
    assert c.sweep_retention() == [ref]
    case = c.open(ref, officer)
    assert (case.objections[0].reason, case.objections[0].decision_reason) == (ev.ERASED_TEXT,) * 2
    shown = json.dumps([[e.reason, dict(e.payload)] for e in c.history(case)])
    for text in SECRETS:
        assert text not in shown
    decided = next(e for e in c.history(case) if e.kind == ev.DECIDED)
    assert (decided.reason, decided.payload["evidence"]) == (ev.ERASED_TEXT, ev.ERASED_TEXT)
    assert decided.payload["sanction"] == "expulsion"  # what the figures count stays


def legacy_case(c: Complaints, reference: str, at: datetime) -> None:
    """A case as logged before per-case keys: personal fields, reasons and words in the clear."""
    filed = ev.complaint_filed(
        reference,
        complaint(),
        code_version=c.code.version,
        limits={str(state): stage.limit_days for state, stage in c.code.stages.items()},
        communication_days=c.code.communication_days,
        personal="",
        actor="public",
        at=at,
    )
    payload = {k: v for k, v in filed.payload.items() if k not in ("personal", "reachable")}
    payload |= ev.personal_fields(complaint())
    steps = [
        (ev.ACKNOWLEDGED, "", {"officer": "officer"}),
        (ev.ASSESSED, REASON, {"assessment": "investigation", "clauses": ["1.2"], "evidence": EVIDENCE}),
        (ev.COMMUNICATED, "", {"to": "complainant", "text": "We are investigating, Ann."}),
        (ev.ASSIGNED, "", {"handler": "investigator", "role": "investigator"}),
        (ev.OBJECTION_RAISED, OBJECTION, {"handler": "investigator", "by": "complainant"}),
    ]
    c.log.append(
        next_event(ev.FILED, ev.COMPLAINT, reference, actor="public", at=at, count=0, payload=payload)
    )
    for count, (kind, reason, step) in enumerate(steps, start=1):
        c.log.append(
            next_event(
                kind,
                ev.COMPLAINT,
                reference,
                actor="user:officer",
                at=at,
                count=count,
                payload=step,
                reason=reason,
            )
        )


def test_a_legacy_case_is_sealed_in_place_once(world: World) -> None:
    c = world.complaints
    legacy_case(c, "C-OLD1", world.clock.now())
    modern = decided_and_closed(c, world.as_)
    officer = world.as_("officer", Role.COMPLAINTS_OFFICER)
    assert c.open("C-OLD1", officer).complaint.complainant == Complainant("Ann Example", "ann@example.org")
    assert "Ann Example" in clear_texts(world.events.events)

    heard: list[tuple[str, int]] = []
    sealing = c.seal_legacy(lambda reference, count: heard.append((reference, count)))
    assert (sealing.cases_seen, sealing.cases_sealed, sealing.events_rewritten, sealing.keys_made) == (
        2,
        1,
        4,
        1,
    )
    assert heard == [("C-OLD1", 4)]
    logged = clear_texts(world.events.events) + json.dumps([s.data for s in world.events.statuses.values()])
    for text in (
        "Ann Example",
        "ann@example.org",
        "M1001",
        "We are investigating",
        REASON,
        EVIDENCE,
        OBJECTION,
    ):
        assert text not in logged
    assert fold(default_reducers(), world.events.events) == world.events.statuses
    case = c.open("C-OLD1", officer)
    assert case.complaint.complainant == Complainant("Ann Example", "ann@example.org")
    assert case.complaint.respondent_member == "M1001" and case.objections[0].reason == OBJECTION
    assert case.reachable == {Recipient.COMPLAINANT, Recipient.RESPONDENT}
    history = {e.kind: e for e in c.history(case)}
    assert (history[ev.ASSESSED].reason, history[ev.ASSESSED].payload["evidence"]) == (REASON, EVIDENCE)
    assert history[ev.COMMUNICATED].payload["text"] == "We are investigating, Ann."
    assert c.open(modern, officer).objections[0].reason == OBJECTION

    before = list(world.events.events)
    again = c.seal_legacy()
    assert (again.cases_seen, again.cases_sealed, again.events_rewritten) == (2, 0, 0)
    assert world.events.events == before


def test_an_erased_legacy_case_has_its_clear_texts_erased(world: World) -> None:
    c = world.complaints
    legacy_case(c, "C-OLD2", world.clock.now())
    officer = world.as_("officer", Role.COMPLAINTS_OFFICER)
    c.close("C-OLD2", officer, Grounds(REASON, ("1.2",), EVIDENCE), outcome="resolved")
    world.clock.advance(days=731)
    assert c.sweep_retention() == ["C-OLD2"]
    assert REASON in clear_texts(world.events.events)  # what retention could not erase
    sealing = c.seal_legacy()
    assert (sealing.cases_sealed, sealing.keys_made) == (1, 0)
    assert c.store.case_key("C-OLD2") is None
    for text in ("Ann Example", REASON, EVIDENCE, OBJECTION):
        assert text not in clear_texts(world.events.events)
    case = c.open("C-OLD2", officer)
    assert case.erased and case.objections[0].reason == ev.ERASED_TEXT
    assert fold(default_reducers(), world.events.events) == world.events.statuses


# ---------------------------------------------------------------- on SQLite and PostgreSQL


def raw_rows(session: Session, reference: str) -> str:
    events = session.scalars(select(EventRow).where(EventRow.subject_id == reference)).all()
    statuses = session.scalars(select(StatusRow).where(StatusRow.subject_id == reference)).all()
    return json.dumps([[e.reason, e.payload] for e in events] + [s.data for s in statuses])


def test_sealed_words_and_legacy_sealing_in_sql(services: Services, session: Session) -> None:
    c = services.complaints
    for user_id in ("officer", "investigator", "panel1", "panel2", "senior"):
        c.enrol(user_id, PARTY, by=ADMIN)
    ref = decided_and_closed(c, lambda user_id, *roles: c.viewer(user_id, roles))
    for text in SECRETS:
        assert text not in raw_rows(session, ref)
    officer = c.viewer("officer", {Role.COMPLAINTS_OFFICER})
    assert next(e for e in c.history(c.open(ref, officer)) if e.kind == ev.DECIDED).reason == REASON

    legacy_case(c, "C-OLDSQL", c.clock.now())
    assert REASON in raw_rows(session, "C-OLDSQL") and "Ann Example" in raw_rows(session, "C-OLDSQL")
    sealing = c.seal_legacy()
    assert (sealing.cases_sealed, sealing.events_rewritten, sealing.keys_made) == (1, 4, 1)
    session.expire_all()
    for text in ("Ann Example", "M1001", "We are investigating", REASON, EVIDENCE, OBJECTION):
        assert text not in raw_rows(session, "C-OLDSQL")
    case = c.open("C-OLDSQL", officer)
    assert case.complaint.complainant == Complainant("Ann Example", "ann@example.org")
    assert case.objections[0].reason == OBJECTION
    assert c.seal_legacy().cases_sealed == 0
