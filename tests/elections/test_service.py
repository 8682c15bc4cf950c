"""The elections service on its in-memory store: the register imported, re-imported and updated,
bad rows named with the good stored, targets matched by handle, and who the period covers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hustings.elections.events import (
    CANDIDATE,
    CANDIDATE_POLL_CANCELLED,
    CANDIDATE_REGISTERED,
    CANDIDATE_UPDATED,
    CANDIDATE_WITHDRAWN,
    ELECTION_CREATED,
    ELECTION_UPDATED,
)
from hustings.elections.model import CandidacyState, CandidateState, ElectionDates
from hustings.elections.service import ElectionEdit
from hustings.errors import Conflict, InvalidInput, NotFound
from hustings.events import fold
from hustings.events.registry import default_reducers
from hustings.targets.model import Target, TargetRole
from tests.elections.conftest import (
    ADMIN,
    CASTLE,
    FIRST,
    KELBRIDGE,
    KELBRIDGE_DATES,
    NEWER,
    RIVERSIDE,
    ST_ANNES,
    World,
    header_of,
    row,
    with_row,
)


def kinds(world: World, since: int = 0) -> list[str]:
    return [event.kind for event in world.events.events[since:]]


def target_of(world: World, person_id: str) -> Target:
    target = world.store.target(world.elections.candidate(person_id).target_id)
    assert target is not None
    return target


def test_the_first_import_makes_one_target_per_person(kelbridge: World) -> None:
    summary = kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert (summary.created, summary.updated, summary.unchanged, summary.rejected) == (11, 0, 0, [])
    assert summary.targets_created == 11 and len(kelbridge.store.targets) == 11
    daniel = target_of(kelbridge, "70413")
    assert (daniel.name, daniel.role, daniel.party, daniel.constituency) == (
        "Daniel Marsh",
        TargetRole.CANDIDATE,
        "Labour Party",
        "Riverside",
    )
    assert daniel.handles == (("mastodon", "danmarsh@mastodon.scot"), ("x", "danmarshlab"))
    election = kelbridge.elections.get(KELBRIDGE)
    assert [b.id for b in election.ballots] == sorted(
        [RIVERSIDE, CASTLE, ST_ANNES, "local.kelbridge.millbrook.2028-05-04"]
    )
    assert election.ballot(RIVERSIDE) is not None and election.ballot(RIVERSIDE).seats_contested == 2  # type: ignore[union-attr]


def test_importing_the_same_file_twice_appends_nothing(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    events = len(kelbridge.events.events)
    targets = dict(kelbridge.store.targets)
    again = kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert (again.created, again.updated, again.unchanged, again.withdrawn, again.events) == (0, 0, 11, 0, 0)
    assert len(kelbridge.events.events) == events
    assert kelbridge.store.targets == targets


def test_a_newer_file_updates_party_post_and_handles_and_records_what_changed(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    since = len(kelbridge.events.events)
    summary = kelbridge.elections.import_candidates(NEWER, actor=ADMIN)
    assert (summary.created, summary.updated, summary.unchanged, summary.withdrawn) == (1, 2, 8, 1)
    assert sorted(kinds(kelbridge, since)) == sorted(
        [CANDIDATE_UPDATED, CANDIDATE_UPDATED, CANDIDATE_REGISTERED, CANDIDATE_WITHDRAWN]
    )
    changes = {
        e.subject_id: e.payload["changes"]
        for e in kelbridge.events.events[since:]
        if e.kind == CANDIDATE_UPDATED
    }
    assert changes["70414"] == {
        "party_name": {"from": "Conservative and Unionist Party", "to": "Conservative Party"}
    }
    assert changes["70413"]["handles"]["to"] == [
        ["bluesky", "danmarsh.bsky.social"],
        ["mastodon", "danmarsh@mastodon.scot"],
        ["x", "danielmarshkb"],
    ]
    assert target_of(kelbridge, "70414").party == "Conservative Party"
    daniel = target_of(kelbridge, "70413")
    assert ("x", "danielmarshkb") in daniel.handles and ("x", "danmarshlab") not in daniel.handles
    assert kelbridge.store.handle_owners([("x", "danmarshlab")]) == {}  # the old handle is free again
    leon = kelbridge.elections.candidate("70442")
    assert leon.state is CandidateState.WITHDRAWN
    assert leon.candidacy(ST_ANNES).state is CandidacyState.WITHDRAWN  # type: ignore[union-attr]


def test_a_new_post_moves_the_target(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    since = len(kelbridge.events.events)
    renamed = FIRST.replace(",Riverside,False,2,", ",Riverside Ward,False,2,")  # the ward renamed
    summary = kelbridge.elections.import_candidates(renamed, actor=ADMIN)
    assert summary.updated == 4
    assert target_of(kelbridge, "70413").constituency == "Riverside Ward"
    events = kelbridge.events.events[since:]
    assert events[0].kind == ELECTION_UPDATED
    assert events[0].payload["changes"][f"ballot:{RIVERSIDE}"] == {
        "from": {"post_label": "Riverside", "seats_contested": 2, "cancelled": False},
        "to": {"post_label": "Riverside Ward", "seats_contested": 2, "cancelled": False},
    }
    assert [e.payload["changes"] for e in events[1:]] == [
        {"post_label": {"from": "Riverside", "to": "Riverside Ward"}}
    ] * 4


def test_bad_rows_are_named_by_line_and_column_and_the_good_rows_stored(kelbridge: World) -> None:
    text = with_row(
        FIRST,
        row(
            FIRST,
            person_id="80001",
            person_name="Bad Handle",
            election_id=KELBRIDGE,
            ballot_paper_id=RIVERSIDE,
            post_label="Riverside",
            twitter_username="no spaces please",
        ),
    )
    text = with_row(
        text,
        row(
            FIRST,
            person_id="80002",
            person_name="Unknown Election",
            election_id="parl.2029-05-03",
            ballot_paper_id="parl.kelbridge.2029-05-03",
            post_label="Kelbridge",
        ),
    )
    summary = kelbridge.elections.import_candidates(text, actor=ADMIN)
    assert summary.created == 11 and summary.rejected_rows == 2
    assert [(p.line, p.column) for p in summary.rejected] == [(13, "twitter_username"), (14, "election_id")]
    assert "no election parl.2029-05-03: create it first" in summary.rejected[1].error
    assert len(kelbridge.store.targets) == 11


def test_a_person_behind_a_bad_row_is_not_withdrawn(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    leon = next(line for line in FIRST.splitlines() if line.startswith("70442,"))
    broken = FIRST.replace(leon, leon.replace(",leonhart_kb,", ",leon hart,"))
    summary = kelbridge.elections.import_candidates(broken, actor=ADMIN)
    assert [(p.line, p.column) for p in summary.rejected] == [(12, "twitter_username")]
    assert summary.withdrawn == 0
    assert kelbridge.elections.candidate("70442").state is CandidateState.STANDING


def test_a_row_that_could_be_anyones_holds_every_withdrawal(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    without_leon = "\n".join(line for line in FIRST.splitlines() if not line.startswith("70442,")) + "\n"
    summary = kelbridge.elections.import_candidates(with_row(without_leon, "garbled,row"), actor=ADMIN)
    assert summary.withdrawn == 0 and "withdrawals not applied" in summary.withdrawals_held
    assert kelbridge.elections.candidate("70442").state is CandidateState.STANDING
    summary = kelbridge.elections.import_candidates(without_leon, actor=ADMIN)
    assert summary.withdrawn == 1


def test_someone_already_registered_by_handle_keeps_their_target(kelbridge: World) -> None:
    registered = kelbridge.store.add_target(
        Target(
            "t_aisha",
            "Cllr Aisha Okafor",
            TargetRole.COUNCILLOR,
            "Green",
            "Riverside ward",
            (("x", "cllraishaokafor"),),
        )
    )
    summary = kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert summary.targets_linked == 1 and summary.targets_created == 10
    aisha = kelbridge.elections.candidate("70412")
    assert aisha.target_id == registered.id
    target = target_of(kelbridge, "70412")
    assert target.role is TargetRole.COUNCILLOR  # standing again does not change what they are
    assert (target.name, target.party, target.constituency) == ("Aisha Okafor", "Green Party", "Riverside")
    assert ("bluesky", "aishaokafor.bsky.social") in target.handles
    registered_event = next(
        e for e in kelbridge.events.events if e.kind == CANDIDATE_REGISTERED and e.subject_id == "70412"
    )
    assert registered_event.payload["target_created"] is False


def test_a_handle_that_is_another_candidates_rejects_the_row(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    impostor = row(
        FIRST,
        person_id="80005",
        person_name="Impostor",
        election_id=KELBRIDGE,
        ballot_paper_id=CASTLE,
        post_label="Castle",
        twitter_username="tomellery",
    )
    summary = kelbridge.elections.import_candidates(with_row(FIRST, impostor), actor=ADMIN)
    assert [(p.line, p.column) for p in summary.rejected] == [(13, "twitter_username")]
    assert "already candidate 70422's" in summary.rejected[0].error
    with pytest.raises(NotFound):
        kelbridge.elections.candidate("80005")


def test_a_cancelled_poll_and_its_reversal_are_recorded(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    gwen = kelbridge.elections.candidate("70430")
    assert gwen.candidacies[0].state is CandidacyState.POLL_CANCELLED
    assert any(
        e.kind == CANDIDATE_POLL_CANCELLED and e.subject_id == "70430" for e in kelbridge.events.events
    )
    contested = FIRST.replace(",Millbrook,True,", ",Millbrook,False,")
    kelbridge.elections.import_candidates(contested, actor=ADMIN)
    assert kelbridge.elections.candidate("70430").candidacies[0].state is CandidacyState.STANDING
    assert kelbridge.events.events[-1].payload["changes"] == {"poll_cancelled": {"from": True, "to": False}}


def test_only_the_election_asked_for_is_imported(kelbridge: World) -> None:
    other = row(
        FIRST,
        person_id="80006",
        person_name="Elsewhere",
        election_id="parl.2029-05-03",
        ballot_paper_id="parl.kelbridge.2029-05-03",
        post_label="Kelbridge",
    )
    summary = kelbridge.elections.import_candidates(
        with_row(FIRST, other), actor=ADMIN, election_id=KELBRIDGE
    )
    assert (summary.created, summary.skipped, summary.rejected) == (11, 1, [])
    with pytest.raises(NotFound, match=r"no election 'parl.2029-05-03'"):
        kelbridge.elections.import_candidates(FIRST, actor=ADMIN, election_id="parl.2029-05-03")


def test_the_period_covers_the_candidates_standing_while_it_lasts(kelbridge: World) -> None:
    elections = kelbridge.elections
    elections.import_candidates(FIRST, actor=ADMIN)
    elections.import_candidates(NEWER, actor=ADMIN)
    standing = {
        target_of(kelbridge, c.candidate.person_id).id
        for c in elections.nominations(KELBRIDGE)
        if c.candidacy.state is not CandidacyState.WITHDRAWN
    }
    leon = elections.candidate("70442").target_id
    assert len(standing) == 11 and leon not in standing
    start, end = KELBRIDGE_DATES.period_start, KELBRIDGE_DATES.period_end
    assert elections.candidates_in_period(start - timedelta(seconds=1)) == set()
    assert elections.candidates_in_period(start) == standing
    assert elections.candidates_in_period(end - timedelta(seconds=1)) == standing
    assert elections.candidates_in_period(end) == set()
    assert [e.id for e in elections.in_period(start)] == [KELBRIDGE]


def test_the_queue_can_be_narrowed_to_an_election_or_a_ballot(kelbridge: World) -> None:
    elections = kelbridge.elections
    elections.import_candidates(FIRST, actor=ADMIN)
    st_annes = elections.targets_of(KELBRIDGE, ST_ANNES)
    assert st_annes == {elections.candidate(p).target_id for p in ("70440", "70441", "70442")}
    assert len(elections.targets_of(KELBRIDGE)) == 11
    with pytest.raises(InvalidInput, match=r"ballot: 'parl.x.2029-05-03' is not a ballot of"):
        elections.targets_of(KELBRIDGE, "parl.x.2029-05-03")
    with pytest.raises(NotFound):
        elections.targets_of("parl.2029-05-03")


def test_status_rebuilt_from_the_log_equals_status_kept_as_it_went(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    kelbridge.elections.import_candidates(NEWER, actor=ADMIN)
    kelbridge.elections.update(KELBRIDGE, ElectionEdit(protection_days=21), actor=ADMIN)
    rebuilt = fold(default_reducers(), kelbridge.events.events)
    assert rebuilt == kelbridge.events.statuses
    assert sum(1 for kind, _ in rebuilt if kind == CANDIDATE) == 12


def test_creating_an_election_validates_it(world: World) -> None:
    created = world.elections.create(KELBRIDGE, "  Kelbridge   local election ", KELBRIDGE_DATES, actor=ADMIN)
    assert created.name == "Kelbridge local election" and created.dates.protection_days == 14
    assert kinds(world) == [ELECTION_CREATED]
    with pytest.raises(Conflict, match=r"already an election"):
        world.elections.create(KELBRIDGE, "Again", KELBRIDGE_DATES, actor=ADMIN)
    with pytest.raises(InvalidInput, match=r"^id: "):
        world.elections.create("kelbridge-2028", "Bad", KELBRIDGE_DATES, actor=ADMIN)
    with pytest.raises(InvalidInput, match=r"^polling_day: "):
        world.elections.create("parl.2029-05-03", "Wrong day", KELBRIDGE_DATES, actor=ADMIN)
    with pytest.raises(InvalidInput, match=r"^name: "):
        world.elections.create("parl.2028-05-04", " ", KELBRIDGE_DATES, actor=ADMIN)


def test_an_update_records_what_changed_and_nothing_when_nothing_did(kelbridge: World) -> None:
    before = len(kelbridge.events.events)
    same = kelbridge.elections.update(KELBRIDGE, ElectionEdit(name="Kelbridge local election"), actor=ADMIN)
    assert len(kelbridge.events.events) == before
    later = kelbridge.elections.update(
        KELBRIDGE,
        ElectionEdit(count_day=date(2028, 5, 6), protection_days=7),
        actor=ADMIN,
        reason="count moved",
    )
    assert later.dates.period_end > same.dates.period_end - timedelta(days=7)
    event = kelbridge.events.events[-1]
    assert event.kind == ELECTION_UPDATED and event.reason == "count moved"
    assert event.payload["changes"] == {
        "count_day": {"from": "2028-05-05", "to": "2028-05-06"},
        "protection_days": {"from": 14, "to": 7},
    }
    with pytest.raises(InvalidInput, match=r"count_day"):
        kelbridge.elections.update(KELBRIDGE, ElectionEdit(count_day=date(2028, 4, 1)), actor=ADMIN)
    assert kelbridge.elections.get(KELBRIDGE).dates == ElectionDates(
        date(2028, 3, 27), date(2028, 4, 4), date(2028, 5, 4), date(2028, 5, 6), 7
    )


def test_imported_candidates_are_in_the_uk_with_the_nation_their_election_says(kelbridge: World) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert {(t.country, t.nation) for t in kelbridge.store.targets.values()} == {("GB", None)}
    dates = ElectionDates(
        notice_of_election=date(2026, 3, 27),
        close_of_nominations=date(2026, 4, 1),
        polling_day=date(2026, 5, 7),
        count_day=date(2026, 5, 8),
    )
    kelbridge.elections.create("sp.c.2026-05-07", "Scottish Parliament constituencies", dates, actor=ADMIN)
    scottish = "\n".join(
        [
            ",".join(header_of(FIRST)),
            row(
                FIRST,
                person_id="90001",
                person_name="Morag Grant",
                election_id="sp.c.2026-05-07",
                ballot_paper_id="sp.c.glasgow-kelvin.2026-05-07",
                party_name="Scottish Green Party",
                post_label="Glasgow Kelvin",
                twitter_username="moraggrant",
            ),
        ]
    )
    summary = kelbridge.elections.import_candidates(scottish, actor=ADMIN)
    assert summary.targets_created == 1, summary.rejected
    morag = next(t for t in kelbridge.store.targets.values() if t.name == "Morag Grant")
    assert (morag.country, morag.nation) == ("GB", "scotland")
