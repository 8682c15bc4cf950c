"""The register imported on SQLite and on a real PostgreSQL: the same targets from the same file,
changes recorded, the candidacy index in step with the statuses, and the handles matched to the
messages addressed to them on ingest."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hustings.clock import FixedClock
from hustings.elections.events import CANDIDATE
from hustings.elections.model import CandidacyState
from hustings.elections.service import Elections
from hustings.errors import Conflict
from hustings.events import Status
from hustings.services import Services
from hustings.storage.elections import SqlElectionStore
from hustings.storage.elections_tables import CandidacyRow
from hustings.storage.tables import EventRow, TargetHandleRow, TargetRow
from hustings.targets.model import TargetRole
from tests.conftest import sample_message
from tests.elections.conftest import (
    ADMIN,
    FIRST,
    IN_PERIOD,
    KELBRIDGE,
    KELBRIDGE_DATES,
    NEWER,
    RIVERSIDE,
    ST_ANNES,
    row,
    with_row,
)


def count(services: Services, model: type) -> int:
    return int(services.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def kelbridge(services: Services, clock: FixedClock) -> Services:
    clock.at = IN_PERIOD
    services.elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor=ADMIN)
    return services


def test_the_same_file_twice_gives_the_same_targets_and_no_new_events(kelbridge: Services) -> None:
    first = kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert (first.created, first.rejected) == (11, [])
    kelbridge.session.flush()
    events, targets, handles = (
        count(kelbridge, EventRow),
        count(kelbridge, TargetRow),
        count(kelbridge, TargetHandleRow),
    )
    assert targets == 11 and handles == 14
    again = kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert (again.unchanged, again.events) == (11, 0)
    kelbridge.session.flush()
    assert (count(kelbridge, EventRow), count(kelbridge, TargetRow), count(kelbridge, TargetHandleRow)) == (
        events,
        targets,
        handles,
    )
    assert count(kelbridge, CandidacyRow) == 11


def test_a_newer_file_updates_the_targets_and_the_index(kelbridge: Services) -> None:
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    summary = kelbridge.elections.import_candidates(NEWER, actor=ADMIN)
    assert (summary.created, summary.updated, summary.withdrawn) == (1, 2, 1)
    kelbridge.session.expire_all()
    harriet = kelbridge.targets.get(kelbridge.elections.candidate("70414").target_id)
    assert harriet is not None and harriet.party == "Conservative Party"
    daniel = kelbridge.targets.get(kelbridge.elections.candidate("70413").target_id)
    assert (
        daniel is not None
        and ("x", "danielmarshkb") in daniel.handles
        and ("x", "danmarshlab") not in daniel.handles
    )
    leon = kelbridge.elections.candidate("70442")
    store = SqlElectionStore(kelbridge.session)
    (record,) = store.candidacies(ballot_ids=[ST_ANNES], states=[CandidacyState.WITHDRAWN])
    assert record.person_id == "70442" and record.target_id == leon.target_id
    assert leon.target_id not in kelbridge.elections.candidates_in_period()
    assert len(kelbridge.elections.candidates_in_period()) == 11
    assert store.reindex() == 12
    assert len(store.candidacies(election_ids=[KELBRIDGE])) == 12


def test_bad_rows_are_named_and_the_good_ones_stored(kelbridge: Services) -> None:
    bad = row(
        FIRST,
        person_id="80001",
        person_name="Bad",
        election_id=KELBRIDGE,
        ballot_paper_id=RIVERSIDE,
        post_label="Riverside",
        mastodon_username="mastodon.scot/name",
    )
    summary = kelbridge.elections.import_candidates(with_row(FIRST, bad), actor=ADMIN)
    assert [str(p) for p in summary.rejected] == [
        "line 13, mastodon_username: 'mastodon.scot/name' is not a Mastodon profile address (https://server/@name) or @name@server"
    ]
    kelbridge.session.flush()
    assert count(kelbridge, TargetRow) == 11


def test_imported_handles_are_matched_to_the_messages_addressed_to_them(kelbridge: Services) -> None:
    kelbridge.elections.import_candidates(NEWER, actor=ADMIN)
    daniel = kelbridge.elections.candidate("70413").target_id
    siobhan = kelbridge.elections.candidate("70415").target_id
    result = kelbridge.ingest(
        [
            sample_message("m1", source="x", targets=["@DanielMarshKB"]),
            sample_message("m2", source="mastodon", targets=["@danmarsh@mastodon.scot"]),
            sample_message("m3", source="bluesky", targets=["danmarsh.bsky.social"]),
            sample_message("m4", source="bluesky", targets=["did:plc:k4mzq2v7hn3wxr5tyb6ucd2e"]),
        ],
        actor=ADMIN,
    )
    assert [message.target_ids for message in result.stored] == [(daniel,), (daniel,), (daniel,), (siobhan,)]


def test_the_register_links_a_target_registered_by_hand(kelbridge: Services) -> None:
    aisha = kelbridge.targets.create(
        name="Aisha Okafor",
        role=TargetRole.COUNCILLOR,
        party="Green",
        constituency="Riverside ward",
        handles=[("x", "cllraishaokafor")],
        now=kelbridge.clock.now(),
    )
    summary = kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    assert summary.targets_linked == 1
    assert kelbridge.elections.candidate("70412").target_id == aisha.id
    kelbridge.session.expire_all()
    linked = kelbridge.targets.get(aisha.id)
    assert linked is not None and linked.handles == (
        ("bluesky", "aishaokafor.bsky.social"),
        ("x", "cllraishaokafor"),
    )


def test_two_imports_from_one_starting_point_cannot_both_apply(kelbridge: Services) -> None:
    """An importer that read the candidates before another's import committed makes events with
    the keys that import took: the log refuses them, and the import fails as a whole (its unit of
    work rolls back) instead of half applying."""
    kelbridge.elections.import_candidates(FIRST, actor=ADMIN)
    store = SqlElectionStore(kelbridge.session)
    behind = _Behind(kelbridge.session, store.statuses(CANDIDATE))
    kelbridge.elections.import_candidates(NEWER, actor=ADMIN)
    late = Elections(behind, kelbridge.log, kelbridge.clock)
    with pytest.raises(Conflict, match=r"another import changed these candidates at the same moment"):
        late.import_candidates(NEWER, actor=ADMIN)


class _Behind(SqlElectionStore):
    """Reads the candidates as they were when it began: a second importer racing the first."""

    def __init__(self, session: Session, candidates: dict[str, Status]) -> None:
        super().__init__(session)
        self.candidates = candidates

    def statuses(
        self,
        subject_type: str,
        subject_ids: Collection[str] | None = None,
        *,
        due_after: datetime | None = None,
    ) -> dict[str, Status]:
        if subject_type != CANDIDATE:
            return super().statuses(subject_type, subject_ids, due_after=due_after)
        return {key: s for key, s in self.candidates.items() if subject_ids is None or key in subject_ids}
