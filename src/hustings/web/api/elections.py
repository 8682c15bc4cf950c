"""Elections and their candidate registers, as JSON: /v1/elections.

Admins create and change elections and import Democracy Club's candidates CSV; the staff who
work the queue (moderators, triage, analysts, flaggers, the police liaison) read them. Candidates
and their handles are Democracy Club's public data.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hustings.auth.model import Principal, Role
from hustings.elections.model import (
    DEFAULT_PROTECTION_DAYS,
    ELECTION_READERS,
    MAX_PROTECTION_DAYS,
    Election,
    ElectionDates,
    parse_dc_id,
)
from hustings.elections.register import MAX_REGISTER_BYTES, decode_register
from hustings.elections.service import ElectionEdit, ImportSummary, Nomination
from hustings.errors import InvalidInput
from hustings.events import user_actor
from hustings.services import Services
from hustings.web.deps import ServicesDep, allow

router = APIRouter(prefix="/v1/elections", tags=["elections"])
Registrar = Annotated[Principal, Depends(allow(Role.ADMIN))]
Reader = Annotated[Principal, Depends(allow(*ELECTION_READERS))]

ProtectionDays = Annotated[int, Field(ge=0, le=MAX_PROTECTION_DAYS)]


class ElectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=200, description="Democracy Club's id, e.g. `parl.2029-05-03`.")
    name: str = Field(max_length=200)
    notice_of_election: date
    close_of_nominations: date
    polling_day: date | None = Field(
        default=None, description="Defaults to the date in the id; must match it."
    )
    count_day: date
    protection_days: ProtectionDays = Field(
        default=DEFAULT_PROTECTION_DAYS, description="Days after the count that the period lasts."
    )


class ElectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    notice_of_election: date | None = None
    close_of_nominations: date | None = None
    polling_day: date | None = None
    count_day: date | None = None
    protection_days: ProtectionDays | None = None
    reason: str = Field(default="", max_length=2000)


class BallotPublic(BaseModel):
    id: str
    post_label: str
    seats_contested: int | None
    cancelled: bool


class ElectionPublic(BaseModel):
    id: str
    name: str
    notice_of_election: date
    close_of_nominations: date
    polling_day: date
    count_day: date
    protection_days: int
    period_start: str
    period_end: str = Field(description="The first moment after the period.")
    phase: str = Field(description="upcoming, protected or over, now.")
    ballots: list[BallotPublic]


class HandlePublic(BaseModel):
    platform: str
    handle: str


class CandidatePublic(BaseModel):
    person_id: str
    target_id: str
    name: str
    handles: list[HandlePublic]
    ballot_paper_id: str
    party_name: str
    party_id: str
    post_label: str
    state: str


class RowProblemPublic(BaseModel):
    line: int
    column: str
    error: str


class ImportPublic(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    withdrawn: int
    skipped: int
    rejected: list[RowProblemPublic]
    targets_created: int
    targets_linked: int
    events: int
    withdrawals_held: str


def election_public(election: Election, services: Services) -> ElectionPublic:
    dates = election.dates
    return ElectionPublic(
        id=election.id,
        name=election.name,
        notice_of_election=dates.notice_of_election,
        close_of_nominations=dates.close_of_nominations,
        polling_day=dates.polling_day,
        count_day=dates.count_day,
        protection_days=dates.protection_days,
        period_start=dates.period_start.isoformat(),
        period_end=dates.period_end.isoformat(),
        phase=election.phase(services.clock.now()).value,
        ballots=[
            BallotPublic(
                id=b.id, post_label=b.post_label, seats_contested=b.seats_contested, cancelled=b.cancelled
            )
            for b in election.ballots
        ],
    )


def candidate_public(nomination: Nomination) -> CandidatePublic:
    candidate, candidacy = nomination.candidate, nomination.candidacy
    return CandidatePublic(
        person_id=candidate.person_id,
        target_id=candidate.target_id,
        name=candidate.name,
        handles=[HandlePublic(platform=p, handle=h) for p, h in candidate.handles],
        ballot_paper_id=candidacy.ballot_paper_id,
        party_name=candidacy.party_name,
        party_id=candidacy.party_id,
        post_label=candidacy.post_label,
        state=candidacy.state.value,
    )


def import_public(summary: ImportSummary) -> ImportPublic:
    return ImportPublic(
        rows=summary.rows,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        withdrawn=summary.withdrawn,
        skipped=summary.skipped,
        rejected=[RowProblemPublic(line=p.line, column=p.column, error=p.error) for p in summary.rejected],
        targets_created=summary.targets_created,
        targets_linked=summary.targets_linked,
        events=summary.events,
        withdrawals_held=summary.withdrawals_held,
    )


@router.get("", response_model=list[ElectionPublic])
def list_elections(principal: Reader, services: ServicesDep) -> Any:
    """Every election, the latest poll first."""
    return [election_public(e, services) for e in services.elections.all()]


@router.post("", response_model=ElectionPublic, status_code=201)
def create_election(body: ElectionCreate, principal: Registrar, services: ServicesDep) -> Any:
    """Create an election with its dates; its ballots and candidates come with the register."""
    polling = body.polling_day or parse_dc_id(body.id).date
    dates = ElectionDates(
        notice_of_election=body.notice_of_election,
        close_of_nominations=body.close_of_nominations,
        polling_day=polling,
        count_day=body.count_day,
        protection_days=body.protection_days,
    )
    election = services.elections.create(body.id, body.name, dates, actor=user_actor(principal.user.id))
    return election_public(election, services)


@router.get("/{election_id}", response_model=ElectionPublic)
def read_election(election_id: str, principal: Reader, services: ServicesDep) -> Any:
    return election_public(services.elections.get(election_id), services)


@router.patch("/{election_id}", response_model=ElectionPublic)
def update_election(
    election_id: str, body: ElectionUpdate, principal: Registrar, services: ServicesDep
) -> Any:
    """Change the name, dates or length of the period; the change is an event saying what changed."""
    edit = ElectionEdit(**body.model_dump(exclude={"reason"}))
    election = services.elections.update(
        election_id, edit, actor=user_actor(principal.user.id), reason=body.reason
    )
    return election_public(election, services)


@router.get("/{election_id}/candidates", response_model=list[CandidatePublic])
def list_candidates(
    election_id: str,
    principal: Reader,
    services: ServicesDep,
    ballot: Annotated[str | None, Query(max_length=200, description="One ballot's id.")] = None,
) -> Any:
    """The election's candidates (or one ballot's), withdrawn ones too, by ballot and name."""
    return [candidate_public(n) for n in services.elections.nominations(election_id, ballot)]


@router.post("/{election_id}/candidates", response_model=ImportPublic)
async def import_candidates(
    election_id: str, request: Request, principal: Registrar, services: ServicesDep
) -> Any:
    """Import Democracy Club's candidates CSV (body `text/csv`) for this election: rows of other
    elections are skipped, bad rows are named by line and column in `rejected`, the good ones are
    stored. Importing the same file again changes nothing."""
    if not request.headers.get("content-type", "").startswith("text/csv"):
        raise InvalidInput("body: send Democracy Club's candidates CSV with Content-Type: text/csv")
    raw = await request.body()
    if len(raw) > MAX_REGISTER_BYTES:
        raise InvalidInput(f"body: at most {MAX_REGISTER_BYTES:,} bytes")

    def work() -> ImportSummary:
        return services.elections.import_candidates(
            decode_register(raw), actor=user_actor(principal.user.id), election_id=election_id
        )

    return import_public(await run_in_threadpool(work))
