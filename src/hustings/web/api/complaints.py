"""Party complaints as JSON: /v1/complaints.

Staff file complaints that came by e-mail or phone; the party's complaints team lists its cases
and reads one (recorded in the access log; anyone outside the case team sends a `reason`); admins
and party admins enrol a party's team and seat panel members on the joint panel; the team reads
the quarterly figures (JSON or CSV; the joint panel's apart); oversight and the party admin answer
a subject-access request. Every read is scoped to the caller's party.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hustings.auth.model import Principal, Role
from hustings.complaints.figures import Quarter, QuarterlyFigures, figure_rows
from hustings.complaints.model import (
    COMPLAINT_READERS,
    DATA_PROTECTION_ROLES,
    Access,
    Case,
    Complainant,
    NewComplaint,
    Source,
    Viewer,
    Where,
)
from hustings.errors import InvalidInput
from hustings.events import user_actor
from hustings.services import Services
from hustings.web.deps import ServicesDep, allow, writes_on_read

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])
Reader = Annotated[Principal, Depends(allow(*COMPLAINT_READERS))]
Officer = Annotated[Principal, Depends(allow(Role.COMPLAINTS_OFFICER))]
Enroller = Annotated[Principal, Depends(allow(Role.ADMIN, Role.PARTY_ADMIN))]
DataProtection = Annotated[Principal, Depends(allow(*DATA_PROTECTION_ROLES))]
JointScope = Annotated[bool, Query(description="The joint panel's figures (its members and oversight).")]

Text = Annotated[str, Field(max_length=20_000)]
Short = Annotated[str, Field(max_length=200)]


def viewer_of(services: Services, principal: Principal) -> Viewer:
    return services.complaints.viewer(principal.user.id, principal.user.roles)


class ComplainantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Short = Field(min_length=1)
    email: Short = ""
    phone: Short = ""


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Short = Field(description="A category id of the code of conduct, e.g. `harassment`.")
    what: Text = Field(min_length=1)
    source: Source = Source.PHONE
    online: bool = False
    links: list[Annotated[str, Field(max_length=2000)]] = Field(default_factory=list, max_length=50)
    message_ids: list[Short] = Field(default_factory=list, max_length=50)
    place: Short = ""
    when: date | None = None
    complainant: ComplainantIn | None = Field(default=None, description="None: anonymous.")
    respondent_member: Short | None = Field(default=None, description="The membership number; None: unknown.")
    characteristic: Short | None = None
    health: Text = Field(
        default="", description="Health details (special-category data: sealed, case team only)."
    )


class TeamMember(BaseModel):
    user_id: str
    role: str


class CaseSummary(BaseModel):
    reference: str
    state: str
    category: str
    received_at: datetime
    due_at: datetime | None
    breached: bool


class CaseEvent(BaseModel):
    kind: str
    actor: str
    occurred_at: datetime
    reason: str
    payload: dict[str, Any]


class CasePublic(CaseSummary):
    party: str
    code_version: str
    what: str
    online: bool
    links: list[str]
    message_ids: list[str]
    place: str
    respondent_member: str | None
    anonymous: bool
    team: list[TeamMember]
    assessment: str | None
    sanction: str | None
    outcome: str
    history: list[CaseEvent]


class HandlerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Short = Field(min_length=1)
    party: Short = Field(min_length=1)


class HandlerPublic(BaseModel):
    user_id: str
    party: str
    conflicts: int


def summary(services: Services, case: Case) -> CaseSummary:
    return CaseSummary(
        reference=case.reference,
        state=case.state,
        category=case.category,
        received_at=case.received_at,
        due_at=case.due_at,
        breached=case.breached(services.clock.now()),
    )


@router.post("", status_code=201)
def file_complaint(body: ComplaintCreate, principal: Officer, services: ServicesDep) -> CaseSummary:
    """File a complaint that came by e-mail, phone or from moderation, in the officer's party."""
    viewer = viewer_of(services, principal)
    if viewer.party is None:
        raise InvalidInput("party: you are in no party's complaints team; a party admin enrols you first")
    who = body.complainant
    case = services.complaints.file(
        NewComplaint(
            party=viewer.party,
            category=body.category,
            what=body.what,
            where=Where(
                online=body.online,
                links=tuple(body.links),
                message_ids=tuple(body.message_ids),
                place=body.place,
            ),
            when=body.when,
            source=body.source,
            complainant=None if who is None else Complainant(who.name, who.email, who.phone),
            respondent_member=body.respondent_member or None,
            characteristic=body.characteristic or None,
            health=body.health.strip(),
        ),
        actor=user_actor(principal.user.id),
    )
    return summary(services, case)


@router.get("")
def list_complaints(principal: Reader, services: ServicesDep) -> list[CaseSummary]:
    return [summary(services, case) for case in services.complaints.cases(viewer_of(services, principal))]


def figures_of(services: Services, principal: Principal, quarter: str, joint: bool) -> QuarterlyFigures:
    return services.complaints.quarterly(viewer_of(services, principal), Quarter.parse(quarter), joint=joint)


def figures_csv(figures: QuarterlyFigures) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["scope", "quarter", "section", "item", "value"])
    writer.writerows((figures.party, figures.quarter, *row) for row in figure_rows(figures))
    name = f"complaints-{figures.party}-{figures.quarter}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/figures/{quarter}")
def quarterly_figures(
    quarter: str, principal: Reader, services: ServicesDep, joint: JointScope = False
) -> dict[str, Any]:
    """The party's figures for a quarter (``2026-Q4``), from the event log; counts under 5 are null."""
    return asdict(figures_of(services, principal, quarter, joint))


@router.get("/figures/{quarter}/csv", response_class=Response)
def quarterly_figures_csv(
    quarter: str, principal: Reader, services: ServicesDep, joint: JointScope = False
) -> Response:
    """The same figures as CSV: one row per figure, `suppressed` where a count is under 5."""
    return figures_csv(figures_of(services, principal, quarter, joint))


@router.get("/subject-access")
@writes_on_read
def subject_access(
    principal: DataProtection,
    services: ServicesDep,
    name: Annotated[str, Query(max_length=200)] = "",
    email: Annotated[str, Query(max_length=200)] = "",
    member: Annotated[str, Query(max_length=200)] = "",
) -> dict[str, Any]:
    """Everything the party holds about one person across its cases; each case read is recorded."""
    return services.complaints.subject_access(
        viewer_of(services, principal), name=name, email=email, member=member
    )


@router.post("/handlers/{user_id}/joint-panel", status_code=201)
def seat_on_joint_panel(user_id: str, principal: Enroller, services: ServicesDep) -> HandlerPublic:
    """Seat a panel member on the joint panel (an admin, or the party admin of their party)."""
    handler = services.complaints.enrol_joint(user_id, by=viewer_of(services, principal))
    return HandlerPublic(user_id=handler.user_id, party=handler.party, conflicts=len(handler.conflicts))


@router.post("/handlers", status_code=201)
def enrol_handler(body: HandlerCreate, principal: Enroller, services: ServicesDep) -> HandlerPublic:
    handler = services.complaints.enrol(body.user_id, body.party, by=viewer_of(services, principal))
    return HandlerPublic(user_id=handler.user_id, party=handler.party, conflicts=len(handler.conflicts))


@router.get("/{reference}")
@writes_on_read
def get_complaint(
    reference: str,
    principal: Reader,
    services: ServicesDep,
    reason: Annotated[str, Query(max_length=2000, description="Why you open a case you are not on.")] = "",
) -> CasePublic:
    """The case and its full history; recorded in the access log (an export)."""
    case = services.complaints.open(
        reference, viewer_of(services, principal), reason=reason, action=Access.EXPORT
    )
    where = case.complaint.where
    return CasePublic(
        **summary(services, case).model_dump(),
        party=case.party,
        code_version=case.code_version,
        what=case.complaint.what,
        online=where.online,
        links=list(where.links),
        message_ids=list(where.message_ids),
        place=where.place,
        respondent_member=case.complaint.respondent_member,
        anonymous=case.complaint.complainant is None,
        team=[TeamMember(user_id=user, role=role) for user, role in sorted(case.team.items())],
        assessment=case.assessment,
        sanction=case.sanction,
        outcome=case.outcome,
        history=[
            CaseEvent(
                kind=e.kind,
                actor=e.actor,
                occurred_at=e.occurred_at,
                reason=e.reason,
                payload={
                    k: v for k, v in e.payload.items() if k != "personal"
                },  # sealed: `what` and the rest
            )
            for e in services.complaints.history(case)
        ],
    )
