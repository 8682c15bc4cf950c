"""The start page: a greeting and the places this user's roles lead to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from hustings.auth.model import ALL_ROLES, Role
from hustings.elections.guidance import guidance_for
from hustings.web.deps import PUBLIC, AnyUser, ServicesDep
from hustings.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Start", "/", frozenset(ALL_ROLES), order=0)]

FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"

_SEES_COUNTS = frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.ANALYST})
_GUARDS = frozenset({Role.TARGET, Role.DELEGATE})


@router.get("/")
def home(principal: AnyUser, request: Request, services: ServicesDep) -> Response:
    counts: list[tuple[str, int]] = []
    if principal.user.roles & _SEES_COUNTS:
        counts = [
            ("Messages", services.messages.count()),
            ("Protected people", services.targets.count()),
        ]
    under_pile_on: list[tuple[str, str]] = []  # (target id, name): each links to that safe inbox
    if principal.user.roles & _GUARDS:
        under_pile_on = [
            (target.id, target.name)
            for target_id in principal.user.target_ids
            if services.protection.open_incidents_of(target_id)
            and (target := services.targets.get(target_id)) is not None
        ]
    return render(
        request,
        "home.html",
        {
            "counts": counts,
            "under_pile_on": under_pile_on,
            "pile_on_guidance": guidance_for(pile_on=True) if under_pile_on else [],
        },
    )


@router.get("/favicon.ico")
def favicon(_: Annotated[None, Depends(PUBLIC)]) -> Response:
    """The icon browsers ask for by this name whatever the page links: the SVG one."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"cache-control": "public, max-age=86400"})
