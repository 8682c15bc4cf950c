"""The pop-up trusted-flagger team on in-memory stores: invited, accepted once, expired,
offboarded, access that ends with the period, and the priority lane's due times, measured."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from hustings.auth.memory import InMemoryAccountStore
from hustings.auth.model import Role, User
from hustings.clock import FixedClock
from hustings.elections.memory import InMemoryElectionStore
from hustings.elections.service import Elections
from hustings.elections.teams import TEAM_INVITED, TEAM_JOINED, TEAM_OFFBOARDED, MemberState, Teams
from hustings.elections.teams_memory import InMemoryTeamStore
from hustings.errors import Conflict, Forbidden, InvalidInput, NotFound
from hustings.events import EventLog, InMemoryEventStore, fold
from hustings.events.registry import default_reducers
from hustings.messages.ingest import ingest
from hustings.moderation.events import ReporterKind
from hustings.moderation.memory import InMemoryModerationStore
from hustings.moderation.policy import load_policy
from hustings.moderation.queues import lane_due, lane_met, queue
from hustings.moderation.service import Moderation
from tests.conftest import sample_message
from tests.elections.conftest import ADMIN, IN_PERIOD, KELBRIDGE, KELBRIDGE_DATES

PASSWORD = "correct horse battery staple kelbridge"


@dataclass
class Team:
    teams: Teams
    moderation: Moderation
    accounts: InMemoryAccountStore
    events: InMemoryEventStore
    clock: FixedClock


@pytest.fixture
def team() -> Team:
    events = InMemoryEventStore()
    log = EventLog(events, default_reducers())
    clock = FixedClock(IN_PERIOD)
    elections = Elections(InMemoryElectionStore(events), log, clock)
    elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor=ADMIN)
    accounts = InMemoryAccountStore()
    moderation_store = InMemoryModerationStore(events)
    moderation = Moderation(moderation_store, log, clock, load_policy())
    ingest(
        [sample_message("1"), sample_message("2", text="I will hurt you, I know where you live.")],
        repository=moderation_store,
        log=log,
        clock=clock,
        actor="system",
        hooks=[moderation.intake],
    )
    return Team(
        Teams(InMemoryTeamStore(events, accounts), log, clock, elections), moderation, accounts, events, clock
    )


def invite(team: Team, email: str = "asha@kelbridge-labour.org.uk") -> str:
    return team.teams.invite(
        KELBRIDGE,
        email=email,
        name="Asha Patel",
        organisation="Kelbridge Labour",
        team_role="party_safety_lead",
        actor=ADMIN,
    ).token


def joined_user(team: Team) -> User:
    member = team.teams.accept(invite(team), password=PASSWORD)
    assert member.user_id is not None
    user = team.accounts.get(member.user_id)
    assert user is not None
    return user


def test_an_invitation_is_accepted_once_and_makes_a_flagger(team: Team) -> None:
    token = invite(team)
    (invited,) = team.teams.team(KELBRIDGE)
    assert invited.state == MemberState.INVITED and invited.organisation == "Kelbridge Labour"
    secret = token.partition(".")[2]
    assert all(secret not in str(event.payload) for event in team.events.events)  # stored hashed only
    member = team.teams.accept(token, password=PASSWORD)
    assert member.state == MemberState.JOINED
    user = team.accounts.get(member.user_id or "")
    assert user is not None and user.roles == frozenset({Role.FLAGGER}) and user.name == invited.email
    assert team.accounts.password_matches(user.id, PASSWORD)
    with pytest.raises(NotFound, match="not valid"):
        team.teams.accept(token, password=PASSWORD)
    assert [e.kind for e in team.events.events if e.subject_type == "team_member"] == [
        TEAM_INVITED,
        TEAM_JOINED,
    ]


def test_a_wrong_or_tampered_link_is_refused(team: Team) -> None:
    token = invite(team)
    member_id = token.partition(".")[0]
    for bad in (member_id + ".nope", token + "x", "tm_0000.abc", "rubbish"):
        with pytest.raises(NotFound, match="not valid"):
            team.teams.invitation(bad)


def test_the_password_policy_applies_on_accepting(team: Team) -> None:
    token = invite(team)
    with pytest.raises(InvalidInput, match="password"):
        team.teams.accept(token, password="short")
    assert team.teams.invitation(token).state == MemberState.INVITED  # still usable


def test_an_existing_user_is_linked_with_their_own_password(team: Team) -> None:
    asha = team.accounts.add_user("u_asha", {Role.TARGET}, password=PASSWORD)
    team.accounts.accounts["u_asha"].user = replace(asha, name="asha@kelbridge-labour.org.uk")
    token = invite(team)
    with pytest.raises(InvalidInput, match="already has an account"):
        team.teams.accept(token, password="another long passphrase entirely")
    member = team.teams.accept(token, password=PASSWORD)
    assert member.user_id == "u_asha"
    assert team.accounts.accounts["u_asha"].user.roles == frozenset({Role.TARGET, Role.FLAGGER})


def test_an_invitation_expires(team: Team) -> None:
    token = invite(team)
    team.clock.advance(days=7, seconds=1)
    with pytest.raises(NotFound, match="expired"):
        team.teams.accept(token, password=PASSWORD)
    (member,) = team.teams.team(KELBRIDGE)
    assert member.standing(team.teams.elections.get(KELBRIDGE), team.clock.now()) == "invitation expired"


def test_access_starts_and_ends_with_the_period(team: Team) -> None:
    user = joined_user(team)
    team.teams.check_flagger(user)  # in the period: admitted
    election = team.teams.elections.get(KELBRIDGE)
    team.clock.at = election.dates.period_end - timedelta(seconds=1)
    team.teams.check_flagger(user)
    team.clock.at = election.dates.period_end
    with pytest.raises(Forbidden, match="period"):
        team.teams.check_flagger(user)
    team.clock.at = election.dates.period_start - timedelta(seconds=1)
    with pytest.raises(Forbidden):
        team.teams.check_flagger(user)


def test_offboarding_ends_access_at_once_and_is_recorded(team: Team) -> None:
    user = joined_user(team)
    (member,) = team.teams.team(KELBRIDGE)
    with pytest.raises(InvalidInput, match="reason"):
        team.teams.offboard(member.id, actor=ADMIN, reason=" ")
    gone = team.teams.offboard(member.id, actor=ADMIN, reason="left the party's staff")
    assert gone.state == MemberState.OFFBOARDED and gone.offboard_reason == "left the party's staff"
    with pytest.raises(Forbidden):
        team.teams.check_flagger(user)
    with pytest.raises(Conflict):
        team.teams.offboard(member.id, actor=ADMIN, reason="again")
    assert team.events.events[-1].kind == TEAM_OFFBOARDED


def test_a_flagger_on_no_team_is_a_standing_flagger(team: Team) -> None:
    standing = team.accounts.add_user("u_ngo", {Role.FLAGGER})
    team.teams.check_flagger(standing)


def test_the_lane_due_times_and_the_figures(team: Team) -> None:
    user = joined_user(team)
    threat = team.moderation.file_report(message_id=_id("2"), reporter=user, category="threat")
    abuse = team.moderation.file_report(message_id=_id("1"), reporter=user, category="abuse")
    assert threat.reporter_kind == ReporterKind.TRUSTED_FLAGGER
    now = team.clock.now()
    assert lane_due(threat.status) == now + timedelta(hours=1)
    assert lane_due(abuse.status) == now + timedelta(hours=4)
    lane = team.moderation.queue_page(queue("lane"), reader_id="u_mod")
    assert [entry.status.subject_id for entry in lane] == [_id("2"), _id("1")]  # soonest due first
    assert team.teams.lane_figures(KELBRIDGE).open == 2

    team.clock.advance(minutes=30)
    moderator = team.accounts.add_user("u_mod", {Role.MODERATOR})
    team.moderation.claim(moderator=moderator, message_id=_id("2"))
    team.clock.advance(hours=4)  # the abuse item's 4 hours run out untouched
    figures = team.teams.lane_figures(KELBRIDGE)
    assert (figures.items, figures.met, figures.missed, figures.open) == (2, 1, 1, 0)
    assert figures.median_minutes_to_first_action == 30.0
    claimed = team.moderation.item(_id("2"))
    assert lane_met(claimed, team.clock.now()) is True
    rebuilt = fold(default_reducers(), team.events.events)
    assert rebuilt[("message", _id("2"))].data == claimed.data


def _id(external_id: str) -> str:
    from hustings.messages.model import message_id

    return message_id("x", external_id)
