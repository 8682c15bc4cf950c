"""A queue page ranked in SQL (with its base-priority floor) equals the brute-force ranking by
`effective_priority` over every item, and the in-memory store ranks as the SQL one does."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from hustings.clock import FixedClock, iso
from hustings.elections.events import CANDIDATE, ELECTION
from hustings.elections.model import ElectionDates
from hustings.events import InMemoryEventStore, Status
from hustings.moderation.memory import InMemoryModerationStore
from hustings.moderation.queues import CANDIDATE_WEIGHT, all_queues, effective_priority, queue
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import T0

ELECTION_ID = "local.kelbridge.2026-05-07"
REGISTER = (
    "person_id,person_name,election_id,ballot_paper_id,party_name,post_label\n"
    f"9001,C,{ELECTION_ID},local.kelbridge.riverside.2026-05-07,Independent,Riverside\n"
)


def standing_candidate(services: Services) -> str:
    """A candidate on a ballot of an election whose period contains T0: the target the boost is for."""
    dates = ElectionDates(
        notice_of_election=T0.date() - timedelta(days=38),
        close_of_nominations=T0.date() - timedelta(days=29),
        polling_day=T0.date(),
        count_day=T0.date() + timedelta(days=1),
    )
    services.elections.create(ELECTION_ID, "Kelbridge", dates, actor="user:u_admin")
    services.elections.import_candidates(REGISTER, actor="user:u_admin")
    return services.elections.candidate("9001").target_id


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_ranking_equals_brute_force(services: Services, clock: FixedClock, seed: int) -> None:
    rng = random.Random(seed)
    candidate = standing_candidate(services)
    besieged = services.targets.create(
        name="B", role=TargetRole.MP, party=None, constituency=None, handles=[], now=T0
    ).id
    targets = [candidate, besieged, "t_other", None]
    items = [
        Status(
            subject_type="message",
            subject_id=f"m_{seed}_{n:04d}",
            state=rng.choice(["reported", "reported", "escalated", "decided"]),
            category=rng.choice(["threat", "abuse"]),
            target_id=rng.choice(targets),
            priority=round(rng.random() * 1.5, 3),
            due_at=T0 + timedelta(hours=rng.randrange(-30, 200)) if rng.random() < 0.9 else None,
            data={},
        )
        for n in range(300)
    ]
    incident = Status(subject_type="incident", subject_id="i_1", state="open", target_id=besieged)
    services.events.save_statuses([*items, incident], existing=set())
    services.session.flush()
    reads = services.moderation.store
    for name in ["unreviewed", "abuse"]:
        spec = queue(name)
        expected = sorted(
            (
                round(effective_priority(item, clock.now(), {besieged}, {candidate}), 6)
                for item in items
                if item.state in spec.states and (spec.category is None or item.category == spec.category)
            ),
            reverse=True,
        )
        for offset in (0, 20):
            page = reads.queue_page(spec, now=clock.now(), reader_id=None, limit=20, offset=offset)
            assert [entry.priority for entry in page] == pytest.approx(
                expected[offset : offset + 20], abs=1e-6
            )
            for entry in page:
                assert entry.priority == pytest.approx(
                    effective_priority(entry.status, clock.now(), {besieged}, {candidate}), abs=1e-6
                )


def test_the_in_memory_store_ranks_and_counts_as_the_sql_one_does(
    services: Services, clock: FixedClock
) -> None:
    """The twin that domain tests run on keeps the SQL store's contract: same pages, same counts."""
    rng = random.Random(7)
    candidate = services.targets.get(standing_candidate(services))
    assert candidate is not None
    besieged = services.targets.create(
        name="B", role=TargetRole.MP, party=None, constituency=None, handles=[], now=T0
    )
    items = [
        Status(
            subject_type="message",
            subject_id=f"m_c_{n:04d}",
            state=rng.choice(["reported", "escalated", "claimed", "appealed", "decided"]),
            category=rng.choice(["threat", "abuse", "other"]),
            target_id=rng.choice([candidate.id, besieged.id, None]),
            priority=round(rng.random(), 3),
            due_at=T0 + timedelta(hours=rng.randrange(-30, 200)) if rng.random() < 0.9 else None,
            assignee=rng.choice(["u_sam", None]),
            data={"lane_due_at": iso(T0 + timedelta(minutes=n))} if rng.random() < 0.3 else {},
        )
        for n in range(120)
    ]
    incident = Status(subject_type="incident", subject_id="i_1", state="open", target_id=besieged.id)
    services.events.save_statuses([*items, incident], existing=set())
    services.session.flush()
    memory = InMemoryModerationStore(InMemoryEventStore())
    register = [
        *services.elections.store.statuses(ELECTION).values(),
        *services.elections.store.statuses(CANDIDATE).values(),
    ]
    memory.events.save_statuses([*items, incident, *register], existing=set())
    memory.targets.update({candidate.id: candidate, besieged.id: besieged})
    sql = services.moderation.store
    now = clock.now()
    assert memory.queue_counts(now=now, reader_id="u_sam") == sql.queue_counts(now=now, reader_id="u_sam")
    by_election = [replace(spec, election_id=ELECTION_ID) for spec in all_queues()]
    by_ballot = [replace(spec, ballot_id="local.kelbridge.riverside.2026-05-07") for spec in all_queues()]
    for spec in [*all_queues(), *by_election, *by_ballot]:
        in_sql = sql.queue_page(spec, now=now, reader_id="u_sam", limit=500, offset=0)
        in_memory = memory.queue_page(spec, now=now, reader_id="u_sam", limit=500, offset=0)
        assert [e.priority for e in in_memory] == pytest.approx([e.priority for e in in_sql], abs=1e-6)
        assert {e.status.subject_id for e in in_memory} == {e.status.subject_id for e in in_sql}
        if spec.election_id or spec.ballot_id:
            assert {e.status.target_id for e in in_sql} <= {candidate.id}
        if spec.lane:
            assert [e.status.subject_id for e in in_memory] == [e.status.subject_id for e in in_sql]
            assert in_sql and all("lane_due_at" in e.status.data for e in in_sql)
        if spec.due_soon:  # ordered by due time alone, so no float ties to break differently
            assert [e.status.subject_id for e in in_memory] == [e.status.subject_id for e in in_sql]
    assert [s.subject_id for s in memory.overdue_unflagged(now, 1000)] == [
        s.subject_id for s in sql.overdue_unflagged(now, 1000)
    ]


def test_a_candidate_ranks_higher_only_in_the_period(services: Services, clock: FixedClock) -> None:
    candidate = standing_candidate(services)
    item = Status(subject_type="message", subject_id="m_p", state="reported", target_id=candidate, data={})
    services.events.save_statuses([item], existing=set())
    services.session.flush()
    reads = services.moderation.store
    (during,) = reads.queue_page(queue("unreviewed"), now=clock.now(), reader_id=None)
    after_period = clock.now() + timedelta(days=40)
    (after,) = reads.queue_page(queue("unreviewed"), now=after_period, reader_id=None)
    assert during.priority == pytest.approx(after.priority + CANDIDATE_WEIGHT)
    assert reads.exposure(clock.now()).candidate_targets == {candidate}
    assert reads.exposure(after_period).candidate_targets == frozenset()
