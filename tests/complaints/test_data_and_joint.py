"""What issue 16 asked beyond the case itself: the joint panel (each party still sees only its own
cases), the confidence survey at closure, the audit sample with its findings, special-category
data sealed and shown to the case team only, retention with crypto-erasure that leaves the
figures as they were, and the subject-access export."""

from __future__ import annotations

import dataclasses
import json

import pytest

from hustings.auth.model import Role
from hustings.auth.second_factor import SecretBox
from hustings.complaints.events import COMPLAINT, ERASED_TEXT
from hustings.complaints.figures import JOINT, Quarter
from hustings.complaints.model import (
    Assessment,
    AuditView,
    CaseState,
    Complainant,
    Grounds,
    Recipient,
    Severity,
    TeamRole,
)
from hustings.errors import Forbidden, InvalidInput, NotFound
from hustings.events import fold
from hustings.events.registry import default_reducers
from tests.complaints.conftest import ADMIN, OTHER, World, complaint

GROUNDS = Grounds("The messages show a pattern.", ("1.1",), "m1, m2")
Q4 = Quarter(2026, 4)


def investigating(world: World, **changes: object) -> str:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    ref = c.file(complaint(**changes), actor="public").reference
    c.acknowledge(ref, me)
    c.assess(ref, me, Assessment.INVESTIGATION, GROUNDS)
    return ref


def closed(world: World, **changes: object) -> str:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    ref = investigating(world, **changes)
    c.communicate(ref, me, Recipient.COMPLAINANT, "We are investigating, Ann.")
    c.close(ref, me, GROUNDS, outcome="resolved")
    return ref


# ---------------------------------------------------------------- the joint panel


def joint_world(world: World) -> str:
    c = world.complaints
    for user_id, party in (("panel-other", OTHER), ("officer-other", OTHER)):
        c.enrol(user_id, party, by=ADMIN)
    c.enrol_joint("panel1", by=ADMIN)
    c.enrol_joint("panel-other", by=ADMIN)
    ref = investigating(world, category="election_campaign")
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    c.charge(ref, me, Grounds("Threats at a count.", ("J.1",), "video"))
    c.refer_joint(ref, me, reason="Campaigners of two parties were involved.")
    return ref


def test_a_joint_case_is_heard_by_a_panel_from_several_parties(world: World) -> None:
    c = world.complaints
    ref = joint_world(world)
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    with pytest.raises(InvalidInput, match="at least two parties"):
        c.open_hearing(ref, me, ["panel1"])
    with pytest.raises(InvalidInput, match="does not sit on the joint panel"):
        c.open_hearing(ref, me, ["panel1", "panel2"])
    c.open_hearing(ref, me, ["panel1", "panel-other"])
    theirs = world.as_("panel-other", Role.PANEL_MEMBER)
    assert theirs.joint_panel and theirs.party == OTHER
    assert [case.reference for case in c.joint_cases(theirs)] == [ref]
    case = c.decide(ref, theirs, GROUNDS, proved=True, sanction="suspension", severity=Severity.HIGH)
    assert case.state is CaseState.DECIDED


def test_each_party_still_sees_only_its_own_cases(world: World) -> None:
    c = world.complaints
    ref = joint_world(world)
    unreferred = investigating(world)
    theirs = world.as_("panel-other", Role.PANEL_MEMBER)
    officer_other = world.as_("officer-other", Role.COMPLAINTS_OFFICER)
    assert c.cases(theirs) == [] and c.cases(officer_other) == []
    with pytest.raises(NotFound):
        c.open(ref, officer_other, reason="curious")
    with pytest.raises(NotFound):
        c.open(unreferred, theirs, reason="curious")
    assert c.joint_cases(officer_other) == []
    with pytest.raises(Forbidden):
        c.quarterly(officer_other, Q4, joint=True)


def test_only_a_joint_category_is_referred_and_only_panel_members_sit(world: World) -> None:
    c = world.complaints
    ref = investigating(world)
    with pytest.raises(InvalidInput, match="not under the joint election code"):
        c.refer_joint(ref, world.as_("officer", Role.COMPLAINTS_OFFICER), reason="why not")
    with pytest.raises(InvalidInput, match="not a panel member"):
        c.enrol_joint("officer", by=ADMIN)
    with pytest.raises(Forbidden):
        c.enrol_joint("panel2", by=world.as_("stranger", Role.PARTY_ADMIN))


def test_the_joint_panels_figures_are_reported_apart(world: World) -> None:
    c = world.complaints
    joint_world(world)
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    for _ in range(4):
        other = investigating(world, category="election_campaign")
        c.charge(other, me, GROUNDS)
        c.refer_joint(other, me, reason="two parties")
    ours = c.quarterly(me, Q4)
    joint = c.quarterly(world.as_("panel1", Role.PANEL_MEMBER), Q4, joint=True)
    assert joint.party == JOINT and joint.referred_joint == 5 and joint.received == 5
    assert ours.referred_joint == 5
    c.file(complaint(), actor="public")
    assert c.quarterly(me, Q4).received == 6
    assert c.quarterly(world.as_("panel1", Role.PANEL_MEMBER), Q4, joint=True).received == 5


# ---------------------------------------------------------------- the confidence survey


def test_the_survey_goes_to_both_parties_at_closure_and_answers_once(world: World) -> None:
    c = world.complaints
    ref = closed(world)
    case = c.open(ref, world.as_("officer", Role.COMPLAINTS_OFFICER))
    assert case.surveys == {Recipient.COMPLAINANT: False, Recipient.RESPONDENT: False}
    link = c.survey_link(case, Recipient.COMPLAINANT)
    assert link is not None
    token = link.rsplit("/", 1)[1]
    with pytest.raises(InvalidInput, match="independent: answer from 1 to 5"):
        c.answer_survey(token, {"fair": 4, "informed": 2})
    c.answer_survey(token, {"fair": 4, "independent": 5, "informed": 2})
    with pytest.raises(NotFound, match="used"):
        c.answer_survey(token, {"fair": 1, "independent": 1, "informed": 1})
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    with pytest.raises(NotFound, match="not valid"):
        c.survey_case(forged)
    respondent = token.replace(".complainant.", ".respondent.")
    with pytest.raises(NotFound, match="not valid"):
        c.survey_case(respondent)  # a token is bound to its party


def test_an_open_case_has_no_survey(world: World) -> None:
    c = world.complaints
    ref = investigating(world)
    case = c.open(ref, world.as_("officer", Role.COMPLAINTS_OFFICER))
    assert c.survey_link(case, Recipient.COMPLAINANT) is None


def test_survey_answers_are_in_the_figures_in_aggregate(world: World) -> None:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    for score in (1, 2, 3, 4, 5):
        case = c.open(closed(world), me)
        link = c.survey_link(case, Recipient.COMPLAINANT)
        assert link is not None
        c.answer_survey(link.rsplit("/", 1)[1], {"fair": score, "independent": 3, "informed": 3})
    figures = c.quarterly(me, Q4)
    assert figures.survey == {"sent": 10, "answered": 5}
    assert figures.survey_means["fair"] == 3.0
    assert figures.survey_answers["fair"] == {"1": None, "2": None, "3": None, "4": None, "5": None}
    assert figures.survey_answers["independent"]["3"] == 5


# ---------------------------------------------------------------- audit


def test_the_audit_sample_is_reproducible_and_findings_are_recorded(world: World) -> None:
    c = world.complaints
    refs = {c.file(complaint(), actor="public").reference for _ in range(9)}
    oversight = world.as_("oversight", Role.OVERSIGHT)
    first = [case.reference for case in c.audit_sample(oversight, Q4)]
    assert len(first) == 5 and set(first) <= refs
    assert [case.reference for case in c.audit_sample(oversight, Q4)] == first
    assert c.audit_sample(oversight, Quarter(2027, 1)) == []
    case = c.record_finding(first[0], oversight, Q4, AuditView.CONCERNS, "No reasons at assessment.")
    assert [(f.view, f.note, f.quarter) for f in case.audit_findings] == [
        (AuditView.CONCERNS, "No reasons at assessment.", "2026-Q4")
    ]
    outside = sorted(refs - set(first))[0]
    with pytest.raises(InvalidInput, match="not in the audit sample"):
        c.record_finding(outside, oversight, Q4, AuditView.SOUND, "fine")
    with pytest.raises(Forbidden):
        c.audit_sample(world.as_("officer", Role.COMPLAINTS_OFFICER), Q4)


def test_an_export_is_the_full_history_and_is_in_the_access_log(world: World) -> None:
    c = world.complaints
    ref = closed(world)
    exported = c.export_json(ref, world.as_("oversight", Role.OVERSIGHT))
    assert [e["kind"] for e in exported["history"]][:3] == [
        "complaint.filed",
        "complaint.acknowledged",
        "complaint.assessed",
    ]
    assert "We are investigating, Ann." in json.dumps(exported)
    assert exported["accesses"][-1]["action"] == "export"


# ---------------------------------------------------------------- special-category data


def test_special_category_data_are_sealed_and_shown_to_the_case_team_only(world: World) -> None:
    c = world.complaints
    ref = investigating(
        world,
        category="discrimination",
        characteristic="religion or belief",
        health="Anxiety since the abuse began.",
    )
    logged = json.dumps([dataclasses.asdict(e) for e in world.events.events], default=str)
    for secret in (
        "religion or belief",
        "Anxiety since",
        "Ann Example",
        "ann@example.org",
        "M1001",
        "abusive",
    ):
        assert secret not in logged
    team = c.open(ref, world.as_("officer", Role.COMPLAINTS_OFFICER))
    assert team.complaint.characteristic == "religion or belief"
    assert team.complaint.health == "Anxiety since the abuse began."
    outsider = c.open(ref, world.as_("senior", Role.COMPLAINTS_OFFICER), reason="the leader asked")
    assert outsider.special_hidden
    assert (outsider.complaint.characteristic, outsider.complaint.health) == (None, "")
    assert outsider.complaint.complainant == Complainant("Ann Example", "ann@example.org")
    oversight = c.open(ref, world.as_("oversight", Role.OVERSIGHT))
    assert oversight.complaint.characteristic is None


# ---------------------------------------------------------------- retention


def test_retention_erases_personal_data_and_keeps_the_figures(world: World) -> None:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    refs = [closed(world, category="discrimination", characteristic="race") for _ in range(5)]
    refs.append(investigating(world))
    world.clock.advance(days=40)  # the quarter is over: every communication in it was due
    before = c.quarterly(me, Q4)
    assert before.by_characteristic == {"race": 5}
    world.clock.advance(days=689)
    assert c.sweep_retention() == []
    world.clock.advance(days=2)
    assert sorted(c.sweep_retention()) == sorted(refs[:5])
    assert c.sweep_retention() == []  # a second sweep finds nothing more to erase
    assert c.quarterly(me, Q4) == before
    case = c.open(refs[0], me)
    assert case.erased and case.complaint.what == ERASED_TEXT and case.complaint.complainant is None
    texts = [e.payload.get("text") for e in c.history(case) if e.kind == "complaint.communicated"]
    assert texts == [ERASED_TEXT]
    assert world.complaints.store.case_key(refs[0]) is None
    assert c.open(refs[5], me).complaint.complainant is not None
    assert fold(default_reducers(), world.events.events) == world.events.statuses
    with pytest.raises(InvalidInput, match="erased"):
        c.communicate(refs[0], me, Recipient.RESPONDENT, "too late")


# ---------------------------------------------------------------- subject access


def test_a_subject_access_export_finds_a_person_across_cases(world: World) -> None:
    c = world.complaints
    first = closed(world)
    second = c.file(complaint(complainant=None, respondent_member="M2002"), actor="public").reference
    c.file(complaint(party=OTHER), actor="public")
    admin = world.as_("oversight", Role.OVERSIGHT)
    held = c.subject_access(admin, email="ANN@example.org")
    assert [(h["case"]["reference"], h["as"]) for h in held["cases"]] == [(first, ["complainant"])]
    assert "We are investigating, Ann." in json.dumps(held)
    as_respondent = c.subject_access(admin, member="M2002")
    assert [h["case"]["reference"] for h in as_respondent["cases"]] == [second]
    assert any(r.action == "subject_access" for r in c.accesses(first))
    with pytest.raises(InvalidInput, match="name"):
        c.subject_access(admin)
    with pytest.raises(Forbidden):
        c.subject_access(world.as_("officer", Role.COMPLAINTS_OFFICER), name="Ann Example")


def test_a_closed_case_still_takes_no_new_step(world: World) -> None:
    c = world.complaints
    ref = closed(world)
    with pytest.raises(Exception, match="closed"):
        c.assign(ref, world.as_("officer", Role.COMPLAINTS_OFFICER), "investigator", TeamRole.INVESTIGATOR)
    statuses = world.events.statuses
    assert statuses[(COMPLAINT, ref)].state == "closed"


def test_case_keys_are_resealed_under_a_new_service_secret(world: World) -> None:
    c = world.complaints
    ref = closed(world)
    rotated = SecretBox("the new service secret", previous=["a test service secret"])
    c.box = rotated
    assert c.reseal_keys() == 1
    c.box = SecretBox("the new service secret")  # the old secret retired
    assert c.open(ref, world.as_("officer", Role.COMPLAINTS_OFFICER)).complaint.complainant == Complainant(
        "Ann Example", "ann@example.org"
    )
