"""The pop-up trusted-flagger team's pages: an election's team (admins invite and offboard), the
invitation's page (no login: the one-time token is in the address), and a flagger's report form
that takes a message id or the post's address."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hustings.auth.model import Principal, Role
from hustings.elections.teams import TeamRole
from hustings.errors import HustingsError, InvalidInput, NotFound
from hustings.events import user_actor
from hustings.moderation.reports import CATEGORIES
from hustings.services import Services
from hustings.storage.database import savepoint
from hustings.web.deps import PUBLIC, ServicesDep, allow
from hustings.web.flash import flash, read_flash
from hustings.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
TeamAdmin = Annotated[Principal, Depends(allow(Role.ADMIN))]
Flagger = Annotated[Principal, Depends(allow(Role.FLAGGER))]
Anyone = Annotated[None, Depends(PUBLIC)]
NAV = [NavItem("Flag a message", "/flag", frozenset({Role.FLAGGER}), order=55)]


def _team_page(
    request: Request,
    services: Services,
    election_id: str,
    *,
    link: str = "",
    notice: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    election = services.elections.get(election_id)
    now = services.clock.now()
    members = services.teams.team(election_id)
    return render(
        request,
        "teams/team.html",
        {
            "election": election,
            "rows": [(m, m.standing(election, now)) for m in members],
            "roles": list(TeamRole),
            "lane": services.teams.lane_figures(election_id),
            "link": link,
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/elections/{election_id}/team")
def team_page(
    election_id: str,
    principal: TeamAdmin,
    request: Request,
    services: ServicesDep,
    notice: str = "",
    error: str = "",
    sig: str = "",
) -> Response:
    notice, error = read_flash(services.settings, notice, error, sig)
    return _team_page(request, services, election_id, notice=notice, error=error)


@router.post("/elections/{election_id}/team")
def invite_member(
    election_id: str,
    principal: TeamAdmin,
    request: Request,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=300)] = "",
    team_role: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Invite; the page shows the one-time link once, for the admin to pass on (no mail is sent)."""
    try:
        with savepoint(services.session):
            invitation = services.teams.invite(
                election_id,
                email=email,
                name=name,
                organisation=organisation,
                team_role=team_role,
                actor=user_actor(principal.user.id),
            )
    except HustingsError as failure:
        return _team_page(request, services, election_id, error=str(failure), status_code=failure.status_code)
    link = str(request.base_url).rstrip("/") + f"/join/{quote(invitation.token)}"
    return _team_page(request, services, election_id, link=link, notice=f"{invitation.member.name} invited.")


@router.post("/elections/{election_id}/team/{member_id}/offboard")
def offboard_member(
    election_id: str,
    member_id: str,
    principal: TeamAdmin,
    services: ServicesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with savepoint(services.session):
            member = services.teams.offboard(member_id, actor=user_actor(principal.user.id), reason=reason)
        query = flash(services.settings, notice=f"{member.name} offboarded: access ended.")
    except HustingsError as failure:
        query = flash(services.settings, error=str(failure))
    return RedirectResponse(f"/elections/{quote(election_id)}/team?{urlencode(query)}", status_code=303)


# ---------------------------------------------------------------------- the invitation


@router.get("/join/{token}")
def invitation_page(token: str, _: Anyone, request: Request, services: ServicesDep) -> Response:
    try:
        member = services.teams.invitation(token)
    except HustingsError as failure:
        return render(request, "teams/join.html", {"error": str(failure), "member": None}, status_code=404)
    election = services.elections.get(member.election_id)
    return render(request, "teams/join.html", {"member": member, "election": election, "error": ""})


@router.post("/join/{token}")
def accept_invitation(
    token: str,
    _: Anyone,
    request: Request,
    services: ServicesDep,
    password: Annotated[str, Form(max_length=400)] = "",
    password_again: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    try:
        with savepoint(services.session):
            if password != password_again:
                raise InvalidInput("password_again: the two passwords differ")
            member = services.teams.accept(token, password=password)
    except HustingsError as failure:
        try:
            member = services.teams.invitation(token)
        except HustingsError:
            return render(
                request, "teams/join.html", {"error": str(failure), "member": None}, status_code=404
            )
        election = services.elections.get(member.election_id)
        context = {"member": member, "election": election, "error": str(failure)}
        return render(request, "teams/join.html", context, status_code=failure.status_code)
    return render(request, "teams/joined.html", {"member": member})


# ---------------------------------------------------------------------- flagging


@router.get("/flag")
def flag_page(principal: Flagger, request: Request) -> Response:
    return render(request, "teams/flag.html", {"categories": CATEGORIES, "reference": "", "error": ""})


@router.post("/flag")
def flag_message(
    principal: Flagger,
    request: Request,
    services: ServicesDep,
    reference: Annotated[str, Form(max_length=2000)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    claims_illegal: Annotated[bool, Form()] = False,
    note: Annotated[str, Form(max_length=2000)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """A trusted flagger's report: the message by its id or by its post's address; an address no
    stored message has is kept until the post is ingested (`hustings.moderation.awaiting`)."""
    try:
        with savepoint(services.session):
            try:
                message_id = services.teams.find_message(reference)
            except NotFound:
                if not reference.strip().startswith(("http://", "https://")):
                    raise
                services.awaiting_reports.record(
                    reference.strip(),
                    reporter=principal.user,
                    category=category,
                    claims_illegal=claims_illegal,
                    note=note,
                    nonce=nonce,
                )
                return render(
                    request,
                    "teams/flag.html",
                    {"categories": CATEGORIES, "reference": "", "error": "", "awaiting": reference.strip()},
                    status_code=202,
                )
            outcome = services.moderation.file_report(
                message_id=message_id,
                reporter=principal.user,
                category=category,
                claims_illegal=claims_illegal,
                note=note,
            )
    except HustingsError as failure:
        context = {"categories": CATEGORIES, "reference": reference, "error": str(failure)}
        return render(request, "teams/flag.html", context, status_code=failure.status_code)
    return RedirectResponse(f"/reports?filed={quote(outcome.report_id)}", status_code=303)
