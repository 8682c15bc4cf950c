"""Election pages: the list (and, for admins, creating one), one election with its ballots and
candidates, and uploading Democracy Club's candidates CSV with each bad row named."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hustings.auth.model import Principal, Role
from hustings.elections.model import (
    DEFAULT_PROTECTION_DAYS,
    ELECTION_READERS,
    Election,
    ElectionDates,
    parse_dc_id,
)
from hustings.elections.register import MAX_REGISTER_BYTES, decode_register
from hustings.elections.service import ImportSummary, Nomination
from hustings.errors import HustingsError, InvalidInput
from hustings.events import user_actor
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.web.deps import ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import NavItem, render

router = APIRouter(prefix="/elections", include_in_schema=False)
Reader = Annotated[Principal, Depends(allow(*ELECTION_READERS))]
Registrar = Annotated[Principal, Depends(allow(Role.ADMIN))]
NAV = [NavItem("Elections", "/elections", ELECTION_READERS, order=35)]


def _nominations_by_ballot(services: Services, election: Election) -> dict[str, list[Nomination]]:
    grouped: dict[str, list[Nomination]] = defaultdict(list)
    for nomination in services.elections.nominations(election.id):
        grouped[nomination.candidacy.ballot_paper_id].append(nomination)
    return grouped


def _election_context(services: Services, election: Election) -> dict[str, object]:
    return {
        "election": election,
        "phase": election.phase(services.clock.now()).value,
        "by_ballot": _nominations_by_ballot(services, election),
    }


@router.get("")
def elections_page(
    principal: Reader, request: Request, services: ServicesDep, error: str = "", sig: str = ""
) -> Response:
    _, error = read_flash(services.settings, "", error, sig)
    now = services.clock.now()
    elections = services.elections.all()
    return render(
        request,
        "elections/list.html",
        {
            "rows": [(e, e.phase(now).value) for e in elections],
            "can_create": Role.ADMIN in principal.user.roles,
            "default_days": DEFAULT_PROTECTION_DAYS,
            "error": error,
        },
    )


@router.post("")
def create_election(
    principal: Registrar,
    services: ServicesDep,
    election_id: Annotated[str, Form(min_length=1, max_length=200)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    notice_of_election: Annotated[date, Form()],
    close_of_nominations: Annotated[date, Form()],
    count_day: Annotated[date, Form()],
    protection_days: Annotated[int, Form(ge=0, le=180)] = DEFAULT_PROTECTION_DAYS,
) -> Response:
    """Create from the form; the polling day is the date in the id."""
    try:
        with savepoint(services.session):
            dates = ElectionDates(
                notice_of_election=notice_of_election,
                close_of_nominations=close_of_nominations,
                polling_day=parse_dc_id(election_id).date,
                count_day=count_day,
                protection_days=protection_days,
            )
            election = services.elections.create(
                election_id, name, dates, actor=user_actor(principal.user.id)
            )
    except HustingsError as failure:
        return RedirectResponse(f"/elections?{urlencode(flash(services.settings, error=str(failure)))}", 303)
    query = urlencode(flash(services.settings, notice=f"{election.name} created."))
    return RedirectResponse(f"/elections/{quote(election.id)}?{query}", status_code=303)


@router.get("/{election_id}")
def election_page(
    election_id: str,
    principal: Reader,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    notice, error = read_flash(services.settings, notice, error, sig)
    election = services.elections.get(election_id)
    return render(
        request,
        "elections/detail.html",
        {
            **_election_context(services, election),
            "can_import": Role.ADMIN in principal.user.roles,
            "notice": notice,
            "error": error,
        },
    )


@router.get("/{election_id}/import")
def import_page(election_id: str, principal: Registrar, request: Request, services: ServicesDep) -> Response:
    election = services.elections.get(election_id)
    return render(request, "elections/import.html", {"election": election, "summary": None, "error": ""})


@router.post("/{election_id}/import")
async def import_register(
    election_id: str,
    principal: Registrar,
    request: Request,
    services: ServicesDep,
    file: UploadFile | None = None,
) -> Response:
    """Import the uploaded CSV; the page shows what was created, updated and withdrawn, each row
    left out with its line, column and reason, and the candidates as they now stand."""
    raw = await file.read(MAX_REGISTER_BYTES + 1) if file is not None and file.filename else b""

    def work() -> Response:
        election = services.elections.get(election_id)
        summary: ImportSummary | None = None
        error = ""
        try:
            if not raw:
                raise InvalidInput("file: choose Democracy Club's candidates CSV to upload")
            if len(raw) > MAX_REGISTER_BYTES:
                raise InvalidInput(f"file: at most {MAX_REGISTER_BYTES:,} bytes")
            with savepoint(services.session):
                summary = services.elections.import_candidates(
                    decode_register(raw), actor=user_actor(principal.user.id), election_id=election.id
                )
        except HustingsError as failure:
            error = str(failure)
        election = services.elections.get(election_id)
        return render(
            request,
            "elections/import.html",
            {**_election_context(services, election), "summary": summary, "error": error},
            status_code=422 if error else 200,
        )

    return await run_in_threadpool(work)
