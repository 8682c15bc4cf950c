"""Both parties see the timetable and every message sent to them (issue 16): a signed tracking
link per party, valid for the life of the case; a forged one is not found; each view is in the
case's access log; a communication to a complainant with an address is queued for e-mail once."""

from __future__ import annotations

import pytest

from hustings.auth.model import Role
from hustings.complaints.model import Access, Assessment, Complainant, Grounds, PartyEmail, Recipient
from hustings.complaints.service import party_recipient_id
from hustings.errors import NotFound
from hustings.events import fold
from hustings.events.registry import default_reducers
from tests.complaints.conftest import World, complaint

GROUNDS = Grounds("The messages show a pattern.", ("1.1",), "m1, m2")


def _token(link: str | None) -> str:
    assert link is not None
    return link.removeprefix("/complaints/track/")


def test_each_party_sees_the_stage_what_comes_next_and_only_their_own_messages(world: World) -> None:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    case = c.file(complaint(health="asthma", characteristic=None), actor="public")
    c.acknowledge(case.reference, me)
    c.communicate(case.reference, me, Recipient.COMPLAINANT, "Dear Ann, we have your complaint.")
    case = c.communicate(case.reference, me, Recipient.RESPONDENT, "A complaint names you.")

    mine = c.track(_token(c.track_link(case, Recipient.COMPLAINANT)))
    assert mine.recipient is Recipient.COMPLAINANT and not mine.erased and not mine.closed
    assert mine.stage == c.code.stages[case.state].plain and mine.next == c.code.stages[case.state].next
    assert mine.by == case.due_at and mine.by is not None
    assert [m.text for m in mine.messages] == ["Dear Ann, we have your complaint."]
    theirs = c.track(_token(c.track_link(case, Recipient.RESPONDENT)))
    assert [m.text for m in theirs.messages] == ["A complaint names you."]
    assert "asthma" not in repr(mine) + repr(theirs)  # nothing of the case but stage and messages

    views = [r for r in c.accesses(case.reference) if r.action is Access.PARTY_VIEW]
    assert [(r.user_id, r.on_team) for r in views] == [("complainant", False), ("respondent", False)]
    report = c.oversight_report(world.as_("oversight", Role.OVERSIGHT))
    assert sorted(r.user_id for r in report if r.action is Access.PARTY_VIEW) == ["complainant", "respondent"]
    assert fold(default_reducers(), world.events.events) == world.events.statuses


def test_the_link_lasts_the_life_of_the_case_and_a_forged_one_is_not_found(world: World) -> None:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    case = c.file(complaint(), actor="public")
    token = _token(c.track_link(case, Recipient.COMPLAINANT))
    c.acknowledge(case.reference, me)
    c.assess(case.reference, me, Assessment.NO_FURTHER_ACTION, GROUNDS)
    assert c.track(token).closed and c.track(token).closed  # not one-time
    respondent = _token(c.track_link(case, Recipient.RESPONDENT))
    other = c.file(complaint(), actor="public")
    for forged in (
        token[:-1] + ("0" if token[-1] != "0" else "1"),
        token.replace("complainant", "respondent"),  # one party's mac does not open the other's page
        respondent.replace(case.reference, other.reference),
        f"{case.reference}.panel.{token.rsplit('.', 1)[1]}",
        "nothing",
        "",
    ):
        with pytest.raises(NotFound):
            c.track(forged)


def test_a_party_who_cannot_be_told_has_no_link(world: World) -> None:
    c = world.complaints
    case = c.file(complaint(complainant=None, respondent_member=None), actor="public")
    assert c.track_link(case, Recipient.COMPLAINANT) is None
    assert c.track_link(case, Recipient.RESPONDENT) is None
    named = c.file(complaint(), actor="public")
    forged = _token(c.track_link(named, Recipient.COMPLAINANT)).replace(named.reference, case.reference)
    with pytest.raises(NotFound):
        c.track(forged)


def test_after_erasure_the_page_says_the_personal_data_were_erased(world: World) -> None:
    c = world.complaints
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    case = c.file(complaint(), actor="public")
    c.acknowledge(case.reference, me)
    c.communicate(case.reference, me, Recipient.COMPLAINANT, "Dear Ann.")
    case = c.assess(case.reference, me, Assessment.NO_FURTHER_ACTION, GROUNDS)
    token = _token(c.track_link(case, Recipient.COMPLAINANT))
    assert [m.text for m in c.track(token).messages] == ["Dear Ann."]
    world.clock.advance(days=3000)
    assert c.sweep_retention() == [case.reference]
    erased = c.track(token)
    assert erased.erased and erased.messages == ()
    assert c.party_address(party_recipient_id(case.reference, Recipient.COMPLAINANT)) == ""


def test_a_communication_is_queued_for_email_once_only_to_a_complainant_with_an_address(
    world: World,
) -> None:
    queued: list[PartyEmail] = []
    c = world.complaints
    c.mail_party = lambda email: queued.append(email) is None
    me = world.as_("officer", Role.COMPLAINTS_OFFICER)
    case = c.file(complaint(), actor="public")
    c.acknowledge(case.reference, me)
    c.communicate(case.reference, me, Recipient.COMPLAINANT, "Dear Ann.")
    c.communicate(case.reference, me, Recipient.RESPONDENT, "You are named.")  # known by number only
    silent = c.file(complaint(complainant=Complainant("Bea", email="")), actor="public")
    c.acknowledge(silent.reference, me)
    c.communicate(silent.reference, me, Recipient.COMPLAINANT, "Dear Bea.")
    (email,) = queued
    assert email.recipient_id == party_recipient_id(case.reference, Recipient.COMPLAINANT)
    assert c.party_link(email.recipient_id) == c.track_link(case, Recipient.COMPLAINANT)
    assert "Dear Ann" not in email.title  # the words stay sealed in the case; the link shows them
    assert c.party_address(email.recipient_id) == "ann@example.org"
    assert c.party_address(party_recipient_id(case.reference, Recipient.RESPONDENT)) == ""
    assert email.cause_key.startswith(f"complaint.communicated:{case.reference}:")
    assert not c.emails(silent, Recipient.COMPLAINANT)
    c.mail_party = None
    assert not c.emails(case, Recipient.COMPLAINANT)
