"""A queue page ranked in SQL (with its base-priority floor) equals the brute-force ranking by
`effective_priority` over every item."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hustings.clock import FixedClock
from hustings.events import Status
from hustings.moderation.queues import effective_priority, queue
from hustings.services import Services
from hustings.storage.moderation import ModerationReads
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
    reads = ModerationReads(services.session)
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
