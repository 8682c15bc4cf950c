"""The complaints service on the in-memory store: the stages in order and nothing out of order,
reasons at every decision, recusal and objections, break glass and the access report, the
indicative timetable, and each party's cases invisible to another party."""

from __future__ import annotations

import pytest

from hustings.auth.model import Role
from hustings.complaints.events import ACCESS, COMPLAINT
from hustings.complaints.model import (
    Assessment,
    BreakGlassRequired,
    CaseState,
    Grounds,
    IllegalTransition,
    Recipient,
    Severity,
    TeamRole,
)
from hustings.errors import Forbidden, InvalidInput, NotFound
from hustings.events import fold
from hustings.events.registry import default_reducers
from tests.complaints.conftest import World, complaint

OFFICER = (Role.COMPLAINTS_OFFICER,)


def decision(
    reason: str = "The messages show a pattern.",
    clauses: tuple[str, ...] = ("1.2",),
    evidence: str = "m1, m2",
) -> Grounds:
    return Grounds(reason, clauses, evidence)


def to_hearing(world: World) -> str:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    c.assess(ref, officer, Assessment.INVESTIGATION, decision())
    c.assign(ref, officer, "investigator", TeamRole.INVESTIGATOR)
    investigator = world.as_("investigator", Role.INVESTIGATOR)
    c.charge(ref, investigator, decision())
    c.open_hearing(ref, officer, ["panel1", "panel2"])
    return ref


def test_a_case_goes_through_every_stage_to_closed(world: World) -> None:
    c = world.complaints
    ref = to_hearing(world)
    panel = world.as_("panel1", Role.PANEL_MEMBER)
    case = c.decide(ref, panel, decision(), proved=True, sanction="formal warning", severity=Severity.MEDIUM)
    assert (case.state, case.sanction) == (CaseState.DECIDED, "formal warning")
    c.appeal(ref, panel, Recipient.RESPONDENT, reason="The respondent says the sanction is too harsh.")
    case = c.decide_appeal(ref, panel, decision(), upheld=False, sanction=None)
    assert case.state is CaseState.CLOSED and case.outcome == "appeal dismissed"
    assert case.sanction == "formal warning"


def test_no_further_action_closes_the_case_at_assessment(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    case = c.assess(ref, officer, Assessment.NO_FURTHER_ACTION, decision())
    assert case.state is CaseState.CLOSED and case.assessment is Assessment.NO_FURTHER_ACTION


def test_a_step_out_of_order_is_refused_and_says_why(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    before = len(world.events.events)
    with pytest.raises(IllegalTransition, match="from investigation; this case is acknowledged"):
        c.charge(ref, officer, decision())
    with pytest.raises(IllegalTransition, match="acknowledged"):
        c.acknowledge(ref, officer)
    assert len(world.events.events) == before


def test_every_decision_gives_reasons_citing_a_clause_and_evidence(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    with pytest.raises(InvalidInput, match="reason"):
        c.assess(ref, officer, Assessment.INVESTIGATION, decision(reason=" "))
    with pytest.raises(InvalidInput, match="clause"):
        c.assess(ref, officer, Assessment.INVESTIGATION, decision(clauses=()))
    with pytest.raises(InvalidInput, match=r"'9\.9'"):
        c.assess(ref, officer, Assessment.INVESTIGATION, decision(clauses=("9.9",)))
    with pytest.raises(InvalidInput, match="evidence"):
        c.assess(ref, officer, Assessment.INVESTIGATION, decision(evidence=""))
    case = c.assess(ref, officer, Assessment.INVESTIGATION, decision())
    (assessed,) = [e for e in c.history(case) if e.kind == "complaint.assessed"]
    assert assessed.reason and assessed.payload["clauses"] == ["1.2"] and assessed.payload["evidence"]


def test_discrimination_names_its_protected_characteristic(world: World) -> None:
    c = world.complaints
    with pytest.raises(InvalidInput, match="characteristic"):
        c.file(complaint(category="discrimination"), actor="public")
    case = c.file(complaint(category="discrimination", characteristic="religion or belief"), actor="public")
    assert case.complaint.characteristic == "religion or belief"


def test_a_handler_with_a_declared_conflict_cannot_be_assigned(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    c.declare_conflict(world.as_("conflicted", Role.INVESTIGATOR), member="M1001", note="same local party")
    with pytest.raises(InvalidInput, match="conflict of interest here \\(same local party\\)"):
        c.assign(ref, officer, "conflicted", TeamRole.INVESTIGATOR)
    assert (
        c.assign(ref, officer, "investigator", TeamRole.INVESTIGATOR).team["investigator"]
        is TeamRole.INVESTIGATOR
    )


def test_an_upheld_objection_takes_the_handler_off_and_keeps_them_off(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.acknowledge(ref, officer)
    c.assign(ref, officer, "investigator", TeamRole.INVESTIGATOR)
    c.object(ref, officer, "investigator", Recipient.RESPONDENT, reason="They campaigned against me.")
    with pytest.raises(Forbidden):
        c.decide_objection(
            ref, world.as_("investigator", Role.INVESTIGATOR), "investigator", upheld=False, reason="no"
        )
    case = c.decide_objection(ref, officer, "investigator", upheld=True, reason="A factional role is shown.")
    assert "investigator" not in case.team
    assert case.objections[0].upheld is True and case.objections[0].decision_reason
    with pytest.raises(InvalidInput, match="objection"):
        c.assign(ref, officer, "investigator", TeamRole.INVESTIGATOR)


def test_someone_off_the_case_must_give_a_reason_and_oversight_sees_it(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    senior = world.as_("senior", *OFFICER)
    ref = c.file(complaint(), actor="public").reference
    c.open(ref, senior)  # waiting for acknowledgement: any officer of the party may look
    c.acknowledge(ref, officer)
    c.open(ref, officer)
    with pytest.raises(BreakGlassRequired):
        c.open(ref, senior)
    c.open(ref, senior, reason="The leader's office asked about it.")
    c.open(ref, senior)  # the reason holds for some hours
    report = c.oversight_report(world.as_("oversight", Role.OVERSIGHT))
    assert [(r.user_id, r.break_glass_reason) for r in report if r.break_glass_reason] == [
        ("senior", "The leader's office asked about it.")
    ]
    assert all(r.user_id != "officer" or not r.on_team for r in report)
    with pytest.raises(Forbidden):
        c.oversight_report(senior)
    world.clock.advance(hours=13)
    with pytest.raises(BreakGlassRequired):
        c.open(ref, senior)


def test_another_partys_users_see_nothing(world: World) -> None:
    c = world.complaints
    ref = c.file(complaint(), actor="public").reference
    stranger = world.as_("stranger", Role.COMPLAINTS_OFFICER, Role.OVERSIGHT)
    assert c.cases(stranger) == []
    with pytest.raises(NotFound):
        c.open(ref, stranger)
    with pytest.raises(NotFound):
        c.acknowledge(ref, stranger)
    assert c.oversight_report(stranger) == []
    assert c.cases(world.as_("nobody", Role.COMPLAINTS_OFFICER)) == []


def test_a_party_admin_enrols_only_into_their_own_party(world: World) -> None:
    c = world.complaints
    c.enrol("padmin", "example-party", by=world.as_("admin", Role.ADMIN))
    padmin = world.as_("padmin", Role.PARTY_ADMIN)
    assert c.enrol("newbie", "example-party", by=padmin).party == "example-party"
    with pytest.raises(Forbidden):
        c.enrol("newbie2", "other-party", by=padmin)


def test_the_timetable_shows_a_breach_when_a_party_is_not_told_in_time(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    case = c.acknowledge(c.file(complaint(), actor="public").reference, officer)
    world.clock.advance(days=6)
    lines = {line.recipient: line for line in c.timetable(case)}
    assert lines[Recipient.COMPLAINANT].breach and lines[Recipient.RESPONDENT].breach
    case = c.communicate(case.reference, officer, Recipient.COMPLAINANT, c.plain_words(case))
    lines = {line.recipient: line for line in c.timetable(case)}
    assert not lines[Recipient.COMPLAINANT].breach and lines[Recipient.RESPONDENT].breach
    (sent,) = [e for e in c.history(case) if e.kind == "complaint.communicated"]
    assert sent.payload["text"].startswith(f"Your complaint {case.reference}: A complaints officer")


def test_an_anonymous_complaint_has_no_one_to_tell(world: World) -> None:
    c = world.complaints
    officer = world.as_("officer", *OFFICER)
    case = c.acknowledge(
        c.file(complaint(complainant=None, respondent_member=None), actor="public").reference, officer
    )
    world.clock.advance(days=30)
    assert not any(line.breach for line in c.timetable(case))
    with pytest.raises(InvalidInput, match="anonymous"):
        c.communicate(case.reference, officer, Recipient.COMPLAINANT, "hello")


def test_the_stage_due_date_comes_from_the_code(world: World) -> None:
    c = world.complaints
    case = c.file(complaint(), actor="public")
    assert case.due_at is not None
    assert (case.due_at - case.received_at).days == c.code.stages[CaseState.RECEIVED].limit_days
    world.clock.advance(days=3)
    assert case.breached(c.now())


def test_status_rebuilt_from_the_log_equals_the_incremental_status(world: World) -> None:
    to_hearing(world)
    world.complaints.open("C-0001", world.as_("senior", *OFFICER), reason="checking")
    rebuilt = fold(default_reducers(), world.events.events)
    for key in [k for k in world.events.statuses if k[0] in (COMPLAINT, ACCESS)]:
        assert rebuilt[key] == world.events.statuses[key]


def test_a_sanction_outside_the_guidance_needs_a_reason_and_past_outcomes_are_shown(world: World) -> None:
    c = world.complaints
    first = to_hearing(world)
    panel = world.as_("panel1", Role.PANEL_MEMBER)
    c.decide(first, panel, decision(), proved=True, sanction="training", severity=Severity.MEDIUM)
    second = to_hearing(world)
    with pytest.raises(InvalidInput, match="outside the guidance for a low case of harassment"):
        c.decide(second, panel, decision(), proved=True, sanction="expulsion", severity=Severity.LOW)
    with pytest.raises(InvalidInput, match="severity"):
        c.decide(second, panel, decision(), proved=True, sanction="advice")
    case = c.decide(
        second,
        panel,
        decision(),
        proved=True,
        sanction="expulsion",
        severity=Severity.LOW,
        departure="A second offence after a written warning.",
    )
    (decided,) = [e for e in c.history(case) if e.kind == "complaint.decided"]
    assert decided.payload["departure"] == "A second offence after a written warning."
    assert decided.payload["guided"] == ["advice", "formal warning"]
    assert c.past_sanctions(case) == {"training": 1}
    with pytest.raises(Forbidden):
        c.decide(to_hearing(world), world.as_("officer", *OFFICER), decision(), proved=False, sanction=None)
