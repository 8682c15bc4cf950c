"""The moderation queue narrowed to one election's or one ballot's candidates."""

from __future__ import annotations

from dataclasses import replace

from hustings.elections.model import check_ballot_of
from hustings.elections.service import Elections
from hustings.errors import NotFound
from hustings.moderation.queues import QueueSpec


def narrow_queue(
    elections: Elections, spec: QueueSpec, *, election_id: str | None, ballot_id: str | None
) -> QueueSpec:
    """`spec` limited to items about the election's (or ballot's) candidates; `NotFound` for an
    unknown election, `InvalidInput` for a ballot that is not the election's. A ballot alone
    names its election (its id extends the election's)."""
    if not election_id and not ballot_id:
        return spec
    if ballot_id and not election_id:
        election_id = ballot_of_election(elections, ballot_id)
    assert election_id is not None
    elections.get(election_id)
    if ballot_id:
        ballot_id = check_ballot_of(election_id, ballot_id, "ballot")
    return replace(spec, election_id=election_id, ballot_id=ballot_id or None)


def ballot_of_election(elections: Elections, ballot_id: str) -> str:
    for election in elections.all():
        if election.ballot(ballot_id) is not None:
            return election.id
    raise NotFound(f"ballot: no ballot {ballot_id!r} in any election")
