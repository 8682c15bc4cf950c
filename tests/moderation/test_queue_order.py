"""A queue page ranked in SQL (with its base-priority floor) equals the brute-force ranking by
`effective_priority` over every item, and the in-memory store ranks as the SQL one does."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hustings.clock import FixedClock
from hustings.events import InMemoryEventStore, Status
from hustings.moderation.memory import InMemoryModerationStore
from hustings.moderation.queues import all_queues, effective_priority, queue
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.conftest import T0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_ranking_equals_brute_force(services: Services, clock: FixedClock, seed: int) -> None:
    rng = random.Random(seed)
    candidate = services.targets.create(
        name="C", role=TargetRole.CANDIDATE, party=None, constituency=None, handles=[], now=T0
    ).id
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
    candidate = services.targets.create(
        name="C", role=TargetRole.CANDIDATE, party=None, constituency=None, handles=[], now=T0
    )
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
            data={},
        )
        for n in range(120)
    ]
    incident = Status(subject_type="incident", subject_id="i_1", state="open", target_id=besieged.id)
    services.events.save_statuses([*items, incident], existing=set())
    services.session.flush()
    memory = InMemoryModerationStore(InMemoryEventStore())
    memory.events.save_statuses([*items, incident], existing=set())
    memory.targets.update({candidate.id: candidate, besieged.id: besieged})
    sql = services.moderation.store
    now = clock.now()
    assert memory.queue_counts(now=now, reader_id="u_sam") == sql.queue_counts(now=now, reader_id="u_sam")
    for spec in all_queues():
        in_sql = sql.queue_page(spec, now=now, reader_id="u_sam", limit=500, offset=0)
        in_memory = memory.queue_page(spec, now=now, reader_id="u_sam", limit=500, offset=0)
        assert [e.priority for e in in_memory] == pytest.approx([e.priority for e in in_sql], abs=1e-6)
        assert {e.status.subject_id for e in in_memory} == {e.status.subject_id for e in in_sql}
        if spec.due_soon:  # ordered by due time alone, so no float ties to break differently
            assert [e.status.subject_id for e in in_memory] == [e.status.subject_id for e in in_sql]
    assert [s.subject_id for s in memory.overdue_unflagged(now, 1000)] == [
        s.subject_id for s in sql.overdue_unflagged(now, 1000)
    ]
